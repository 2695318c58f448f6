"""ORCID iD validation (ISO 7064 MOD 11-2 check digit)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ORCID_RE = re.compile(r"^(?:https?://orcid\.org/)?(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$", re.IGNORECASE)


def orcid_check_digit(base_digits: str) -> str:
    total = 0
    for char in base_digits:
        total = (total + int(char)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def normalize_orcid(value: str) -> str:
    """Return ``0000-0002-1825-0097`` from any common spelling, or raise ValidationError."""
    match = ORCID_RE.match((value or "").strip())
    if not match:
        raise ValidationError(
            _("Enter an ORCID iD as 0000-0000-0000-0000 (16 characters, the last may be X)."), code="orcid_format"
        )
    digits = "".join(match.groups()).upper()
    if orcid_check_digit(digits[:15]) != digits[15]:
        raise ValidationError(_("This ORCID iD's check digit is wrong: please check for a typo."), code="orcid_check")
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


def validate_orcid(value: str) -> None:
    normalize_orcid(value)
