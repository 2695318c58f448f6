"""The one size formatter: decimal units, as the policy states its limits (50 GB = 50 × 10⁹ bytes)."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import ngettext

UNITS = ("kB", "MB", "GB", "TB", "PB")


def format_size(size: int | None) -> str:
    """``"50 GB"``, ``"1.5 MB"``, ``"999 bytes"``; whole values carry no decimals; ``""`` for None."""
    if size is None:
        return ""
    if size < 1000:
        return ngettext("%(count)d byte", "%(count)d bytes", size) % {"count": size}
    value = float(size)
    for unit in UNITS:
        value /= 1000
        if value < 999.95 or unit == UNITS[-1]:
            break
    digits = 0 if value >= 100 or round(value, 1) == int(value) else 1
    return f"{number_format(round(value, digits), digits)} {unit}"
