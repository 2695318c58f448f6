"""The fixity report's figures (``/staff/fixity/``): checks per day, failures and repairs, copies per file,
copies per location by state, files never or not recently checked, damaged files with their history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from storage.models import FileInstance, FileReplica, FileVersion, FixityCheck, FixityResult, ReplicaState
from storage.services.replicas import LocationCopies, copies_by_location

FAILED = [FixityResult.MISMATCH, FixityResult.MISSING, FixityResult.UNREACHABLE]
CHECKS = [FixityResult.OK, *FAILED]  # repairs (and "no intact copy") are rows of their own, not checks
LISTED = 20  # files listed under each heading (the counts cover them all)


@dataclass
class Day:
    day: dt.date
    checks: int = 0
    failures: int = 0
    repairs: int = 0


@dataclass
class ListedFile:
    """A file instance with what names it: its bucket's owner (e.g. ``records.record:12``) and key."""

    instance: FileInstance
    owner: str = ""
    key: str = ""
    history: list[FixityCheck] = field(default_factory=list)


@dataclass
class FixityReport:
    days: list[Day]
    files: int
    copies: list[tuple[int, int]]  # (intact copies, files), fewest first
    locations: list[LocationCopies]
    never_checked: int
    never_checked_files: list[ListedFile]
    stale: int
    stale_files: list[ListedFile]
    damaged: int
    damaged_files: list[ListedFile]
    since: dt.datetime

    @property
    def checks(self) -> int:
        return sum(d.checks for d in self.days)

    @property
    def failures(self) -> int:
        return sum(d.failures for d in self.days)

    @property
    def repairs(self) -> int:
        return sum(d.repairs for d in self.days)


def fixity_report(now: dt.datetime | None = None) -> FixityReport:
    """Figures over the last ``FIXITY_REPORT_DAYS`` days (UTC dates) and the current state of every file."""
    now = now or timezone.now()
    first = (now - dt.timedelta(days=settings.FIXITY_REPORT_DAYS - 1)).date()
    since = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)
    days = {
        first + dt.timedelta(days=n): Day(first + dt.timedelta(days=n))
        for n in range(settings.FIXITY_REPORT_DAYS)
    }
    per_day = (
        FixityCheck.objects.filter(checked_at__gte=since)
        .annotate(day=TruncDate("checked_at", tzinfo=dt.UTC))
        .values("day")
        .annotate(
            checks=Count("pk", filter=Q(result__in=CHECKS)),
            failures=Count("pk", filter=Q(result__in=FAILED)),
            repairs=Count("pk", filter=Q(result=FixityResult.REPAIRED)),
        )
    )
    for row in per_day:
        if row["day"] in days:
            days[row["day"]] = Day(row["day"], row["checks"], row["failures"], row["repairs"])
    stale_before = now - dt.timedelta(days=settings.FIXITY_CYCLE_DAYS)
    instances = FileInstance.objects.select_related("location").order_by("created")
    never = instances.filter(last_verified__isnull=True)
    stale = instances.filter(last_verified__lt=stale_before)
    damaged = instances.filter(damaged=True)
    return FixityReport(
        days=list(days.values()),
        files=FileInstance.objects.count(),
        copies=_copies_per_file(),
        locations=copies_by_location(),
        never_checked=never.count(),
        never_checked_files=_listed(list(never[:LISTED])),
        stale=stale.count(),
        stale_files=_listed(list(stale.order_by("last_verified")[:LISTED])),
        damaged=damaged.count(),
        damaged_files=_listed(list(damaged[:LISTED]), history=True),
        since=since,
    )


def _copies_per_file() -> list[tuple[int, int]]:
    """How many files have 1, 2, … intact copies: the primary (unless damaged) and verified replicas in
    configured locations."""
    verified = (
        FileReplica.objects.filter(
            instance=OuterRef("pk"), state=ReplicaState.VERIFIED, location__active=True
        )
        .values("instance")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        FileInstance.objects.annotate(
            replicas_ok=Coalesce(Subquery(verified, output_field=IntegerField()), 0)
        )
        .values("replicas_ok", "damaged")
        .annotate(files=Count("pk"))
    )
    counts: dict[int, int] = {}
    for row in rows:
        copies = 0 if row["damaged"] else 1 + row["replicas_ok"]
        counts[copies] = counts.get(copies, 0) + row["files"]
    return sorted(counts.items())


def _listed(instances: list[FileInstance], *, history: bool = False) -> list[ListedFile]:
    listed = {i.pk: ListedFile(i) for i in instances}
    versions = (
        FileVersion.objects.filter(instance__in=list(listed))
        .select_related("file__bucket")
        .order_by("instance", "-created")
    )
    for version in versions:
        item = listed[version.instance_id]
        if not item.key:
            bucket = version.file.bucket
            item.key = version.file.key
            item.owner = f"{bucket.subject_type}:{bucket.subject_id}" if bucket.subject_type else str(bucket)
    if history:
        checks = FixityCheck.objects.filter(instance__in=list(listed)).select_related("location")
        for check in checks.order_by("instance", "-checked_at", "-pk"):
            item = listed[check.instance_id]
            if len(item.history) < LISTED:
                item.history.append(check)
    return list(listed.values())
