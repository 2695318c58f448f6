"""Persistent identifiers: the one place that knows what a DOI, an ORCID iD and a ROR id look like.

Used by accounts (the profile's ORCID iD), records (metadata validation, DOIs, exports) and curation
(affiliation checks). No Django models; the lowest layer of the project.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# --- DOI -------------------------------------------------------------------------------------------

DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")
_ANY_DOI_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)


def strip_doi_prefix(value: str) -> str:
    """``10.x/y`` from ``doi:10.x/y`` or a doi.org URL; anything else is returned stripped, unchecked."""
    value = (value or "").strip()
    for prefix in DOI_PREFIXES:
        if value.lower().startswith(prefix):
            return value[len(prefix) :].strip()
    return value


def bare_doi(value: str) -> str:
    """``10.x/y`` from a bare DOI, ``doi:`` or ``https://doi.org/`` form; ``""`` if it is no DOI."""
    match = _ANY_DOI_RE.match((value or "").strip())
    return match.group(1) if match else ""


def doi_url(doi: str) -> str:
    return f"https://doi.org/{doi}" if doi else ""


# --- ORCID iD (ISO 7064 MOD 11-2 check digit) -----------------------------------------------------------

ORCID_RE = re.compile(r"^(?:https?://orcid\.org/)?(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$", re.IGNORECASE)
_ORCID_IN_TEXT_RE = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.IGNORECASE)


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
            _("Enter an ORCID iD as 0000-0000-0000-0000 (16 characters, the last may be X)."),
            code="orcid_format",
        )
    digits = "".join(match.groups()).upper()
    if orcid_check_digit(digits[:15]) != digits[15]:
        raise ValidationError(
            _("This ORCID iD's check digit is wrong: please check for a typo."), code="orcid_check"
        )
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


def validate_orcid(value: str) -> None:
    normalize_orcid(value)


def orcid_id(value: str) -> str:
    """The bare ORCID iD (``0000-0002-1825-0097``) found in a bare id or an orcid.org URL; ``""`` if none."""
    match = _ORCID_IN_TEXT_RE.search(value or "")
    return match.group(1).upper() if match else ""


def orcid_url(value: str) -> str:
    bare = orcid_id(value)
    return f"https://orcid.org/{bare}" if bare else ""


# --- ROR id (base32 with a two-digit checksum) ----------------------------------------------------------

ROR_RE = re.compile(r"^(?:https?://ror\.org/)?(0[0-9a-hjkmnp-tv-z]{6}\d{2})$", re.IGNORECASE)
ROR_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_ROR_LENIENT_RE = re.compile(
    r"(?:https?://)?(?:www\.)?(?:ror\.org/)?(0[a-z0-9]{6}[0-9]{2})\s*$", re.IGNORECASE
)


def ror_checksum(base: str) -> str:
    number = 0
    for char in base:
        number = number * 32 + ROR_ALPHABET.index(char)
    return f"{98 - (number * 100) % 97:02d}"


def normalize_ror(value: str) -> str:
    """``https://ror.org/<id>`` from a bare or URL ROR id; raises ValueError naming the problem."""
    match = ROR_RE.match((value or "").strip())
    if not match:
        raise ValueError(_("Enter a ROR id such as 05f0yaq80 or https://ror.org/05f0yaq80."))
    ror = match.group(1).lower()
    if ror_checksum(ror[:7]) != ror[7:]:
        raise ValueError(_("This ROR id's checksum is wrong: please check for a typo."))
    return f"https://ror.org/{ror}"


def ror_id(value: str) -> str:
    """The bare lower-case ROR id in a bare id or a ror.org URL (checksum not checked); ``""`` if none."""
    match = _ROR_LENIENT_RE.match((value or "").strip().rstrip("/"))
    return match.group(1).lower() if match else ""


def ror_url(value: str) -> str:
    bare = ror_id(value)
    return f"https://ror.org/{bare}" if bare else ""
