"""Usage statistics by the COUNTER Code of Practice, Release 5.1: ``count``, ``aggregate``, ``totals``.

Counting costs a request one small insert (``Event``), or nothing for a robot (the COUNTER robots
list, the ``counter-robots`` package) or when ``STATS_COUNTING`` is off. The worker
(``stats.tasks.aggregate``, every ``STATS_AGGREGATE_INTERVAL_SECONDS``) applies the rules and writes
one ``DailyStat`` row per record and day:

* a double click — the same user-session asking for the same page or file again within 30 seconds —
  counts once;
* uniques count user-sessions, one per session and hour (COUNTER's unique item metrics);
* views are investigations, downloads are requests and investigations.

Sessions are salted hashes with a salt drawn each day and dropped when the day is over: no address is
stored, and yesterday's hashes cannot be linked to anyone. Events older than yesterday are deleted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from counter_robots import __version__ as robots_version
from counter_robots import is_robot
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from accounts.ratelimit import client_ip
from stats.models import DailySalt, DailyStat, Event, EventKind

DOUBLE_CLICK = dt.timedelta(seconds=30)
ROBOTS_LIST = f"COUNTER-Robots {robots_version}"  # the list's date, as COUNTER asks reports to name it
_RANGE_FROM_START = re.compile(r"^\s*bytes\s*=\s*0*-")

_salt_of_day: dict[dt.date, str] = {}


def _salt(day: dt.date) -> str:
    """The day's salt: drawn once (the first request of the day), kept in this process for the day."""
    salt = _salt_of_day.get(day)
    if salt is None:
        row, _created = DailySalt.objects.get_or_create(day=day, defaults={"salt": secrets.token_hex(32)})
        _salt_of_day.clear()
        _salt_of_day[day] = salt = row.salt
    return salt


def session_hash(request: HttpRequest, day: dt.date) -> str:
    """The user-session as a salted hash: the session cookie, else the address and user agent."""
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    ident = f"s|{key}" if key else f"a|{client_ip(request)}|{request.headers.get('User-Agent', '')}"
    return hashlib.sha256(f"{_salt(day)}|{ident}".encode()).hexdigest()[:32]


def is_counted_range(request: HttpRequest) -> bool:
    """A download is counted once: without ``Range``, or by the range that starts at byte 0 (a resumed
    or parallel download's other ranges are not counted again)."""
    header = request.headers.get("Range")
    return not header or bool(_RANGE_FROM_START.match(header))


def count(request: HttpRequest, kind: str, record_id: int, key: str = "") -> bool:
    """Count one view (``EventKind.VIEW``) or download (``EventKind.DOWNLOAD``) of a record; one insert.

    Not counted: when ``STATS_COUNTING`` is off, a robot's user agent (COUNTER's list). Returns whether
    it was written."""
    if not settings.STATS_COUNTING:
        return False
    if is_robot(request.headers.get("User-Agent", "")):
        return False
    now = timezone.now()
    Event.objects.create(
        at=now, kind=kind, record_id=record_id, file_key=key[:1024], session=session_hash(request, now.date())
    )
    return True


@dataclass
class _Day:
    views: int = 0
    downloads: int = 0
    view_sessions: set = field(default_factory=set)
    download_sessions: set = field(default_factory=set)
    sessions: set = field(default_factory=set)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def aggregate(now: dt.datetime | None = None) -> int:
    """Sum yesterday's and today's events (UTC) into ``DailyStat`` rows (written anew: safe to run
    twice), then delete the events before yesterday and the salts of past days. Returns the rows written."""
    now = now or timezone.now()
    today = now.astimezone(dt.UTC).date()
    first = _midnight(today - dt.timedelta(days=1))
    events = (
        Event.objects.filter(at__gte=first - DOUBLE_CLICK)
        .order_by("record_id", "kind", "file_key", "session", "at")
        .values_list("record_id", "kind", "file_key", "session", "at")
        .iterator(chunk_size=5000)
    )
    days: dict[tuple[int, dt.date], _Day] = defaultdict(_Day)
    previous: tuple | None = None
    last_at: dt.datetime | None = None
    for record_id, kind, key, session, at in events:
        click = (record_id, kind, key, session)
        double = click == previous and last_at is not None and at - last_at <= DOUBLE_CLICK
        previous, last_at = click, at
        if double or at < first:  # a double click, or the day before (only a double click's first half)
            continue
        at = at.astimezone(dt.UTC)
        counts = days[(record_id, at.date())]
        user_session = (session, at.replace(minute=0, second=0, microsecond=0))
        if kind == EventKind.VIEW:
            counts.views += 1
            counts.view_sessions.add(user_session)
        else:
            counts.downloads += 1
            counts.download_sessions.add(user_session)
        counts.sessions.add(user_session)
    rows = [
        DailyStat(
            record_id=record_id,
            day=day,
            views=c.views,
            unique_views=len(c.view_sessions),
            downloads=c.downloads,
            unique_downloads=len(c.download_sessions),
            unique_investigations=len(c.sessions),
        )
        for (record_id, day), c in days.items()
    ]
    DailyStat.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["record_id", "day"],
        update_fields=["views", "unique_views", "downloads", "unique_downloads", "unique_investigations"],
    )
    Event.objects.filter(at__lt=first - DOUBLE_CLICK).delete()
    DailySalt.objects.filter(day__lt=today).delete()
    return len(rows)


@dataclass(frozen=True)
class Totals:
    views: int = 0
    unique_views: int = 0
    downloads: int = 0
    unique_downloads: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "views": self.views,
            "unique_views": self.unique_views,
            "downloads": self.downloads,
            "unique_downloads": self.unique_downloads,
        }


def totals(record_ids: Iterable[int]) -> dict[int, Totals]:
    """``{record id: Totals}`` over all days, in one query (records never counted are absent)."""
    rows = (
        DailyStat.objects.filter(record_id__in=list(record_ids))
        .values("record_id")
        .annotate(
            views_sum=Sum("views"),
            unique_views_sum=Sum("unique_views"),
            downloads_sum=Sum("downloads"),
            unique_downloads_sum=Sum("unique_downloads"),
        )
        .order_by()
    )
    return {
        row["record_id"]: Totals(
            row["views_sum"], row["unique_views_sum"], row["downloads_sum"], row["unique_downloads_sum"]
        )
        for row in rows
    }


def totals_of(record_id: int) -> Totals:
    return totals([record_id]).get(record_id, Totals())


METRICS = (
    "Total_Item_Investigations",
    "Unique_Item_Investigations",
    "Total_Item_Requests",
    "Unique_Item_Requests",
)


def monthly(record_id: int, begin: dt.date, end: dt.date) -> dict[str, dict[str, int]]:
    """COUNTER's four item metrics of a record by month (``YYYY-MM``) from ``begin`` to ``end``
    (inclusive days); months without use are left out, as COUNTER reports do."""
    metrics: dict[str, dict[str, int]] = {name: {} for name in METRICS}
    rows = DailyStat.objects.filter(record_id=record_id, day__gte=begin, day__lte=end).order_by("day")
    for row in rows:
        month = f"{row.day:%Y-%m}"
        values = (
            row.views + row.downloads,
            row.unique_investigations,
            row.downloads,
            row.unique_downloads,
        )
        for name, value in zip(METRICS, values, strict=True):
            if value:
                metrics[name][month] = metrics[name].get(month, 0) + value
    return {name: months for name, months in metrics.items() if months}
