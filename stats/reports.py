"""COUNTER Release 5.1 Item Report (IR) in COUNTER_SUSHI JSON, for one item over whole months."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from stats.services import METRICS, ROBOTS_LIST, monthly

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})(?:-\d{2})?$")


class BadPeriod(ValueError):
    """A report's dates are missing or malformed; ``field`` names the parameter."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def parse_month(value: str | None, field: str, *, end: bool) -> dt.date:
    """``YYYY-MM`` (or ``YYYY-MM-DD``, of which the month counts) → the month's first or last day."""
    match = MONTH_RE.match(value or "")
    if not match:
        raise BadPeriod(field, _("%(field)s must be a month, YYYY-MM.") % {"field": field})
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or year < 1:
        raise BadPeriod(field, _("%(field)s %(value)s is not a month.") % {"field": field, "value": value})
    day = calendar.monthrange(year, month)[1] if end else 1
    return dt.date(year, month, day)


def period(begin: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    """The report's first and last day from ``begin_date`` and ``end_date`` (whole months)."""
    first = parse_month(begin, "begin_date", end=False)
    last = parse_month(end, "end_date", end=True)
    if last < first:
        raise BadPeriod("end_date", _("end_date is before begin_date."))
    return first, last


@dataclass(frozen=True)
class Item:
    """What the report says of the item (from the record): COUNTER's item attributes."""

    id: int
    title: str
    doi: str
    uri: str
    publisher: str
    data_type: str  # COUNTER Data_Type: Article, Book, Dataset, Software, Thesis_or_Dissertation, Other…
    yop: str  # year of publication
    access_type: str  # Open or Controlled


def item_report(item: Item, first: dt.date, last: dt.date, *, platform: str, platform_id: str) -> dict:
    """The COUNTER_SUSHI JSON of an Item Report of ``item`` from ``first`` to ``last``."""
    performance = monthly(item.id, first, last)
    item_id = {"Proprietary": f"{platform_id}:{item.id}", "URI": item.uri}
    if item.doi:
        item_id["DOI"] = item.doi
    items = []
    if performance:
        items.append(
            {
                "Item": item.title,
                "Item_ID": item_id,
                "Platform": platform,
                "Publisher": item.publisher,
                "Attribute_Performance": [
                    {
                        "Data_Type": item.data_type,
                        "YOP": item.yop,
                        "Access_Type": item.access_type,
                        "Access_Method": "Regular",
                        "Performance": performance,
                    }
                ],
            }
        )
    exceptions = []
    if not performance:
        exceptions.append({"Code": 3030, "Message": "No Usage Available for Requested Dates"})
    return {
        "Report_Header": {
            "Release": "5.1",
            "Report_ID": "IR",
            "Report_Name": "Item Report",
            "Institution_Name": "The World",
            "Institution_ID": {"Proprietary": [f"{platform_id}:all"]},
            "Created": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Created_By": platform,
            "Report_Filters": {
                "Begin_Date": first.isoformat(),
                "End_Date": last.isoformat(),
                "Item_ID": item_id["Proprietary"],
                "Metric_Type": list(METRICS),
                "Access_Method": ["Regular"],
            },
            "Report_Attributes": {"Attributes_To_Show": ["Data_Type", "YOP", "Access_Type", "Access_Method"]},
            "Registry_Record": "",
            "Exceptions": exceptions,
            "Notes": f"Robots excluded by the {ROBOTS_LIST} list.",
        },
        "Report_Items": items,
    }
