"""Replicas and fixity: copies of published bytes in other locations, checked and repaired."""

from __future__ import annotations

import datetime
import logging
import math
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Actor
from audit.services import audit
from mail.services import queue_email
from storage import streams
from storage.backends import BackendError
from storage.models import FileInstance, FileReplica, FixityCheck, FixityResult, Location, ReplicaState
from storage.services.errors import ChecksumMismatch
from storage.services.locations import delete_quietly, sync_locations

logger = logging.getLogger(__name__)
_pause = time.sleep  # the throttle's wait (tests record it instead)


@dataclass
class CopyCheck:
    """The outcome of reading one copy: ``result`` is ok, mismatch or missing."""

    location: Location
    path: str
    replica: FileReplica | None
    result: str
    actual: str = ""
    bytes_read: int = 0
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.result == FixityResult.OK


@dataclass
class Outcome:
    """What ``check_fixity`` found (``found``) and left after any repair (``after``) for one instance."""

    instance: FileInstance
    found: dict[str, bool]
    after: dict[str, bool]
    bytes_read: int = 0
    repaired: list[str] = field(default_factory=list)
    repair_error: str = ""

    @property
    def failed(self) -> bool:
        return not all(self.found.values())

    @property
    def intact(self) -> bool:
        return bool(self.after) and all(self.after.values())


def _copies(instance: FileInstance) -> list[tuple[Location, str, FileReplica | None]]:
    copies: list[tuple[Location, str, FileReplica | None]] = [(instance.location, instance.path, None)]
    copies += [(r.location, r.path, r) for r in instance.replicas.select_related("location").order_by("pk")]
    return copies


def _expected(instance: FileInstance) -> str:
    return f"{instance.md5} {instance.sha256} size:{instance.size}"


def _check_copy(location: Location, path: str, replica: FileReplica | None) -> CopyCheck:
    """Read one copy whole (at most ``FIXITY_MAX_MB_PER_S``) and hash it."""
    started = time.monotonic()
    backend = location.backend()
    try:
        if not backend.exists(path):
            return CopyCheck(
                location, path, replica, FixityResult.MISSING, duration=time.monotonic() - started
            )
        with backend.open_read(path) as source:
            counter = _CountingReader(source, settings.FIXITY_MAX_MB_PER_S)
            md5, sha256 = streams.digest_file(counter)
    except (OSError, BackendError) as exc:
        logger.warning("could not read %s:%s: %s", location.name, path, exc)
        return CopyCheck(location, path, replica, FixityResult.MISSING, duration=time.monotonic() - started)
    actual = f"{md5} {sha256} size:{counter.count}"
    return CopyCheck(location, path, replica, "", actual, counter.count, time.monotonic() - started)


class _CountingReader:
    """Counts the bytes read; with a rate (MB/s), sleeps so that reading stays below it."""

    def __init__(self, source: streams.Readable, max_mb_per_s: float | None = None):
        self.source = source
        self.count = 0
        self.rate = max_mb_per_s * 1_000_000 if max_mb_per_s else None
        self.started = time.monotonic()

    def read(self, size: int = -1) -> bytes:
        block = self.source.read(size)
        self.count += len(block)
        if self.rate:
            ahead = self.count / self.rate - (time.monotonic() - self.started)
            if ahead > 0:
                _pause(ahead)
        return block


def replicate(
    instance: FileInstance, actor: Actor = None, locations: list[Location] | None = None
) -> list[FileReplica]:
    """Copy ``instance`` to every other active location that lacks it, checking the checksums."""
    targets = locations if locations is not None else [loc for loc in sync_locations()[1:]]
    made = []
    for location in targets:
        if location.pk == instance.location_id or instance.replicas.filter(location=location).exists():
            continue
        made.append(_copy_to(instance, location, actor))
    return made


def _copy_to(instance: FileInstance, location: Location, actor: Actor) -> FileReplica:
    source_backend = instance.location.backend()
    target = location.backend()
    with source_backend.open_read(instance.path) as source:
        tee = _DigestingReader(source)
        target.save_stream(instance.path, tee, instance.size)
    md5, sha256 = tee.digests.result()
    if (md5, sha256, tee.count) != (instance.md5, instance.sha256, instance.size):
        logger.warning("replica of instance %s to %s did not match its checksums", instance.pk, location.name)
        delete_quietly(location, instance.path)
        raise ChecksumMismatch(
            _("The copy of %(path)s did not match its checksums; no replica was recorded.")
            % {"path": instance.path}
        )
    with transaction.atomic():
        replica, _created = FileReplica.objects.get_or_create(
            instance=instance,
            location=location,
            defaults={
                "path": instance.path,
                "last_verified": timezone.now(),
                "verified_ok": True,
                "state": ReplicaState.VERIFIED,
                "last_result": FixityResult.OK,
            },
        )
        audit(actor, "replicate", instance, after={"location": location.name, "path": instance.path})
    return replica


class _DigestingReader:
    def __init__(self, source: streams.Readable):
        self.source = source
        self.digests = streams.Digests()
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        block = self.source.read(size if size and size > 0 else streams.BLOCK_SIZE)
        if block:
            self.digests.update(block)
            self.count += len(block)
        return block


def _record(instance: FileInstance, check: CopyCheck, now: datetime.datetime) -> None:
    """One history row for one copy, and the copy's (or the instance's) latest state."""
    FixityCheck.objects.create(
        instance=instance,
        replica=check.replica,
        location=check.location,
        checked_at=now,
        expected=_expected(instance),
        actual=check.actual,
        result=check.result,
        bytes_read=check.bytes_read,
        duration=check.duration,
    )
    if check.replica is not None:
        state = {
            FixityResult.OK: ReplicaState.VERIFIED,
            FixityResult.MISSING: ReplicaState.MISSING,
        }.get(FixityResult(check.result), ReplicaState.DAMAGED)
        FileReplica.objects.filter(pk=check.replica.pk).update(
            last_verified=now, verified_ok=check.ok, state=state, last_result=check.result
        )
    else:
        FileInstance.objects.filter(pk=instance.pk).update(last_verified=now, verified_ok=check.ok)


def _verify(instance: FileInstance) -> list[CopyCheck]:
    checks = []
    expected = _expected(instance)
    for location, path, replica in _copies(instance):
        check = _check_copy(location, path, replica)
        if not check.result:
            check.result = FixityResult.OK if check.actual == expected else FixityResult.MISMATCH
        _record(instance, check, timezone.now())
        checks.append(check)
    return checks


def verify(instance: FileInstance, actor: Actor = None) -> dict[str, bool]:
    """Re-read every copy of ``instance`` and compare size, MD5 and SHA-256: {location: ok}.

    Every copy's check is a ``FixityCheck`` row; replicas get their state (verified, damaged, missing).
    """
    checks = _verify(instance)
    results = {check.location.name: check.ok for check in checks}
    if not all(results.values()):
        logger.warning("fixity check failed for instance %s (%s): %s", instance.pk, instance.path, results)
        audit(actor, "verify_failed", instance, after={"results": results})
    return results


def repair(instance: FileInstance, actor: Actor = None) -> dict[str, bool]:
    """Rewrite bad or missing copies from a good one; returns the verification after the repair."""
    results = verify(instance, actor)
    return _repair(instance, results, actor)[0]


def _repair(
    instance: FileInstance, results: dict[str, bool], actor: Actor
) -> tuple[dict[str, bool], list[str]]:
    """Rewrite the copies that failed from one that passed, then verify again: (results, repaired)."""
    if all(results.values()):
        return results, []
    good = [(loc, path) for loc, path, _r in _copies(instance) if results.get(loc.name)]
    if not good:
        logger.warning("instance %s cannot be repaired: no intact copy (%s)", instance.pk, results)
        _mark_damaged(instance, True)
        FixityCheck.objects.create(
            instance=instance,
            location=instance.location,
            expected=_expected(instance),
            result=FixityResult.UNREPAIRABLE,
        )
        audit(actor, "repair_failed", instance, after={"results": results})
        return results, []
    source_location, source_path = good[0]
    repaired = []
    for location, path, replica in _copies(instance):
        if results.get(location.name):
            continue
        started = time.monotonic()
        with source_location.backend().open_read(source_path) as source:
            tee = _DigestingReader(source)
            location.backend().save_stream(path, tee, instance.size)
        md5, sha256 = tee.digests.result()
        FixityCheck.objects.create(
            instance=instance,
            replica=replica,
            location=location,
            expected=_expected(instance),
            actual=f"{md5} {sha256} size:{tee.count}",
            result=FixityResult.REPAIRED,
            bytes_read=tee.count,
            duration=time.monotonic() - started,
        )
        repaired.append(location.name)
        audit(actor, "repair", instance, after={"location": location.name, "from": source_location.name})
    after = verify(instance, actor)
    if all(after.values()):
        _mark_damaged(instance, False)
    else:
        logger.warning("repair of instance %s left bad copies: %s", instance.pk, after)
    return after, repaired


def _mark_damaged(instance: FileInstance, damaged: bool) -> None:
    if instance.damaged != damaged:
        instance.damaged = damaged
        instance.save(update_fields=["damaged"])


def check_fixity(instance: FileInstance, actor: Actor = None) -> Outcome:
    """A fixity check with its consequences: verify every copy, repair what failed from an intact
    copy (or mark the instance damaged), and tell staff (``STAFF_EMAILS``) once per incident."""
    was_damaged = instance.damaged
    with transaction.atomic():
        checks = _verify(instance)
        found = {c.location.name: c.ok for c in checks}
        outcome = Outcome(instance, found, found, bytes_read=sum(c.bytes_read for c in checks))
        if not outcome.failed:
            _mark_damaged(instance, False)
            return outcome
        logger.warning("fixity check failed for instance %s (%s): %s", instance.pk, instance.path, found)
        audit(actor, "verify_failed", instance, after={"results": found})
    try:
        with transaction.atomic():
            outcome.after, outcome.repaired = _repair(instance, found, actor)
    except (OSError, BackendError) as exc:  # the next check tries again
        logger.warning("repair of instance %s failed: %s", instance.pk, exc)
        outcome.repair_error = str(exc) or type(exc).__name__
    if not (was_damaged and instance.damaged):  # a file already known as damaged is not a new incident
        _tell_staff(instance, checks, outcome)
    return outcome


def _tell_staff(instance: FileInstance, checks: list[CopyCheck], outcome: Outcome) -> None:
    lines = [
        _("A fixity check found copies of a stored file that do not match its checksums."),
        "",
        _("File instance: %(id)s (%(path)s, %(size)s bytes)")
        % {"id": instance.pk, "path": instance.path, "size": instance.size},
        _("Expected: %(expected)s") % {"expected": _expected(instance)},
        "",
    ]
    for c in checks:
        lines.append(f"  {c.location.name}: {FixityResult(c.result).label}")
    lines.append("")
    if outcome.repair_error:
        lines.append(
            _("The repair failed (%(error)s); the next check tries again.") % {"error": outcome.repair_error}
        )
    elif outcome.intact:
        lines.append(_("Repaired from an intact copy: %(names)s.") % {"names": ", ".join(outcome.repaired)})
    else:
        lines.append(_("No intact copy is left: the file is marked damaged and its downloads are refused."))
    lines += ["", f"{settings.SITE_URL}{reverse('admin:storage_fileinstance_change', args=[instance.pk])}"]
    if outcome.repair_error:
        subject = _("Fixity: %(id)s failed its check")
    else:
        subject = _("Fixity: repaired %(id)s") if outcome.intact else _("Fixity: %(id)s is damaged")
    subject %= {"id": instance.pk}
    queue_email(list(settings.STAFF_EMAILS), subject, "\n".join(str(line) for line in lines))


def fixity_batch_size(total: int) -> int:
    """How many instances one sweep takes so that all ``total`` are checked within ``FIXITY_CYCLE_DAYS``."""
    runs_per_cycle = max(1, settings.FIXITY_CYCLE_DAYS * 86400 // settings.FIXITY_SWEEP_INTERVAL_SECONDS)
    return max(1, math.ceil(total / runs_per_cycle))


def claim_fixity_batch(size: int | None = None) -> tuple[list[str], datetime.datetime | None]:
    """Claim the instances due next (never checked first, then the oldest check) with a conditional
    update, skipping those another sweep holds; returns (ids, claim time)."""
    now = timezone.now()
    free = Q(fixity_claimed__isnull=True) | Q(
        fixity_claimed__lt=now - datetime.timedelta(seconds=settings.FIXITY_CLAIM_TIMEOUT_SECONDS)
    )
    if size is None:
        size = fixity_batch_size(FileInstance.objects.count())
    candidates = list(
        FileInstance.objects.filter(free)
        .order_by(F("last_verified").asc(nulls_first=True), "created")
        .values_list("pk", flat=True)[:size]
    )
    if not candidates:
        return [], None
    FileInstance.objects.filter(free, pk__in=candidates).update(fixity_claimed=now)
    claimed = FileInstance.objects.filter(pk__in=candidates, fixity_claimed=now).values_list("pk", flat=True)
    return [str(pk) for pk in claimed], now


def check_claimed(instance_id: str, claim: datetime.datetime) -> Outcome | None:
    """Check one instance claimed at ``claim``, then release it. None if it is gone or done already
    (a task delivered twice checks once)."""
    instance = (
        FileInstance.objects.select_related("location").filter(pk=instance_id, fixity_claimed=claim).first()
    )
    if instance is None:
        return None
    outcome = check_fixity(instance)
    FileInstance.objects.filter(pk=instance_id, fixity_claimed=claim).update(fixity_claimed=None)
    return outcome
