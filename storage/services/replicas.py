"""Replicas and fixity: copies of published bytes in other locations, checked and repaired."""

from __future__ import annotations

import datetime
import functools
import hashlib
import logging
import math
import os
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Actor
from audit.services import audit
from mail.services import queue_email
from storage import streams, tasks
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
    unreachable: list[str] = field(default_factory=list)  # locations not read: not judged, not repaired

    @property
    def failed(self) -> bool:
        return not all(self.found.values())

    @property
    def intact(self) -> bool:
        return bool(self.after) and all(self.after.values())


def _copies(instance: FileInstance) -> list[tuple[Location, str, FileReplica | None]]:
    copies: list[tuple[Location, str, FileReplica | None]] = [(instance.location, instance.path, None)]
    # pending replicas are not copied yet (``replicate``); unconfigured locations are reported, not read
    replicas = instance.replicas.select_related("location").filter(location__active=True)
    copies += [(r.location, r.path, r) for r in replicas.exclude(state=ReplicaState.PENDING).order_by("pk")]
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
            md5, sha256 = _digest(counter)
    except (OSError, BackendError) as exc:
        logger.warning("could not read %s:%s: %s", location.name, path, exc)
        return CopyCheck(
            location,
            path,
            replica,
            FixityResult.UNREACHABLE,
            str(exc)[:160],
            duration=time.monotonic() - started,
        )
    actual = f"{md5} {sha256} size:{counter.count}"
    return CopyCheck(location, path, replica, "", actual, counter.count, time.monotonic() - started)


CHECK_BLOCK = 4 * 1024 * 1024  # read per step of a check: two blocks at most are in memory


@functools.cache
def _hashers(pid: int) -> ThreadPoolExecutor:
    """Two threads that hash (hashlib releases the GIL on large updates), one pool per process: a forked
    pool process (Celery's prefork) makes its own."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="fixity-digest")


def _digest(source: streams.Readable) -> tuple[str, str]:
    """MD5 and SHA-256 of a whole stream in one read: each block is hashed by two threads at once while
    the next block is read."""
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    pool = _hashers(os.getpid())
    pending: list[Future[None]] = []
    try:
        while True:
            block = source.read(CHECK_BLOCK)
            for future in pending:
                future.result()
            pending = []
            if not block:
                break
            if len(block) < streams.THREAD_THRESHOLD:
                md5.update(block)
                sha256.update(block)
            else:
                pending = [pool.submit(md5.update, block), pool.submit(sha256.update, block)]
    finally:
        for future in pending:  # a failed read: let the threads finish before the hashes go
            future.exception()
    return "md5:" + md5.hexdigest(), "sha256:" + sha256.hexdigest()


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


@dataclass
class Replication:
    """What ``replicate`` did for one instance: copies verified, and copies that failed (name, error)."""

    copied: list[FileReplica] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def track_new_instances(instances: Sequence[FileInstance]) -> None:
    """Instances just stored in the primary location: a ``pending`` replica row in every other configured
    location (so no copy is forgotten), and, once the transaction commits, the tasks that copy them and
    re-read the stored bytes (``FIXITY_CHECK_AFTER_UPLOAD``)."""
    if not instances:
        return
    locations = sync_locations()
    now = timezone.now()
    FileReplica.objects.bulk_create(
        [
            FileReplica(instance=instance, location=location, path=instance.path, created=now)
            for instance in instances
            for location in locations
            if location.pk != instance.location_id
        ],
        ignore_conflicts=True,
    )
    ids = [str(instance.pk) for instance in instances]
    check = settings.FIXITY_CHECK_AFTER_UPLOAD
    if check:  # the check after upload holds the sweep's claim on the file until it is done
        FileInstance.objects.filter(pk__in=ids, fixity_claimed__isnull=True).update(fixity_claimed=now)
    copy = len(locations) > 1

    def enqueue() -> None:
        for instance_id in ids:
            if copy:
                tasks.replicate_instance.delay(instance_id)
            if check:
                tasks.verify_upload.delay(instance_id, now.isoformat())

    transaction.on_commit(enqueue)


def replicate(instance: FileInstance, actor: Actor = None, *, claim: str = "") -> Replication:
    """Copy ``instance`` to each configured location where its replica is pending, by streaming, then
    re-read each copy and compare size, MD5 and SHA-256 (a history row): the replica becomes
    ``verified``. A copy that fails stays ``pending`` (retried later). Each replica is claimed with a
    conditional update under ``claim`` (the task's id: a redelivered task takes its own claim back)."""
    token = claim or uuid.uuid4().hex
    outcome = Replication()
    if instance.damaged:  # no intact bytes to copy from
        return outcome
    pending = instance.replicas.select_related("location").filter(
        state=ReplicaState.PENDING, location__active=True
    )
    for replica in pending.order_by("pk"):
        if not _claim_replica(replica, token):
            continue
        try:
            if _copy_to(instance, replica, token, actor):
                outcome.copied.append(replica)
        except (OSError, BackendError, ChecksumMismatch) as exc:
            error = str(exc) or type(exc).__name__
            logger.warning("copy of instance %s to %s failed: %s", instance.pk, replica.location.name, error)
            FileReplica.objects.filter(pk=replica.pk, claimed_by=token).update(
                claimed_by="",
                claimed_at=None,
                attempts=F("attempts") + 1,
                last_error=error[:255],
                last_result="error",
            )
            outcome.failed.append((replica.location.name, error))
    return outcome


def _claim_replica(replica: FileReplica, token: str) -> bool:
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=settings.FIXITY_CLAIM_TIMEOUT_SECONDS)
    free = Q(claimed_by="") | Q(claimed_by=token) | Q(claimed_at__lt=stale)
    return bool(
        FileReplica.objects.filter(free, pk=replica.pk, state=ReplicaState.PENDING).update(
            claimed_by=token, claimed_at=now
        )
    )


def _copy_to(instance: FileInstance, replica: FileReplica, token: str, actor: Actor) -> bool:
    """Stream the primary copy into the replica's location, re-read it; False if the row is gone."""
    location = replica.location
    with instance.location.backend().open_read(instance.path) as source:
        tee = streams.DigestingReader(source)
        location.backend().save_stream(replica.path, tee, instance.size)
    md5, sha256 = tee.digests.result()
    if (md5, sha256, tee.count) != (instance.md5, instance.sha256, instance.size):
        delete_quietly(location, replica.path)
        raise ChecksumMismatch(
            _("The copy of %(path)s did not match its checksums; no replica was recorded.")
            % {"path": instance.path}
        )
    check = _check_copy(location, replica.path, replica)
    if not check.result:
        check.result = FixityResult.OK if check.actual == _expected(instance) else FixityResult.MISMATCH
    now = timezone.now()
    with transaction.atomic():
        _lock(instance)  # before the replica's row, as ``drop_staged`` does
        done = FileReplica.objects.filter(pk=replica.pk, claimed_by=token, state=ReplicaState.PENDING)
        if check.ok:
            updated = done.update(
                claimed_by="",
                claimed_at=None,
                last_verified=now,
                state=ReplicaState.VERIFIED,
                verified_ok=True,
                last_result=FixityResult.OK,
                last_error="",
            )
        else:  # stays pending: copied again by the retry
            updated = done.update(
                claimed_by="",
                claimed_at=None,
                last_verified=now,
                verified_ok=False,
                last_result=check.result,
                attempts=F("attempts") + 1,
                last_error="read back with other checksums",
            )
        if not updated:
            # the instance was deleted meanwhile (a discarded draft file): its copy goes too
            transaction.on_commit(lambda: delete_quietly(location, replica.path))
            return False
        FixityCheck.objects.create(
            instance=instance,
            replica=replica,
            location=location,
            checked_at=now,
            expected=_expected(instance),
            actual=check.actual,
            result=check.result,
            bytes_read=check.bytes_read,
            duration=check.duration,
        )
        if check.ok:
            audit(actor, "replicate", instance, after={"location": location.name, "path": replica.path})
    if not check.ok:
        raise ChecksumMismatch(
            _("The copy of %(path)s read back with other checksums.") % {"path": instance.path}
        )
    return True


def replication_backoff(retries: int) -> int:
    """Seconds before copy attempt ``retries + 1``: doubling from the base, capped."""
    base = settings.REPLICATION_RETRY_BACKOFF_SECONDS
    return int(min(settings.REPLICATION_RETRY_BACKOFF_MAX_SECONDS, base * 2 ** min(retries, 30)))


def pending_replication() -> list[str]:
    """Instances (ids) with a replica still pending after ``REPLICATION_PENDING_MINUTES`` and no live
    claim, at most ``REPLICATION_SWEEP_BATCH``, oldest first. Files stored before a location was added
    get their pending rows here first (so they are copied too)."""
    now = timezone.now()
    limit = settings.REPLICATION_SWEEP_BATCH
    added = []
    for location in sync_locations()[1:]:
        lacking = list(
            FileInstance.objects.exclude(location=location)
            .exclude(replicas__location=location)
            .values_list("pk", "path")[:limit]
        )
        FileReplica.objects.bulk_create(
            [FileReplica(instance_id=pk, location=location, path=path) for pk, path in lacking],
            ignore_conflicts=True,
        )
        added += [str(pk) for pk, _path in lacking]
    stale = now - datetime.timedelta(seconds=settings.FIXITY_CLAIM_TIMEOUT_SECONDS)
    due = (
        FileReplica.objects.filter(
            Q(claimed_by="") | Q(claimed_at__lt=stale),
            state=ReplicaState.PENDING,
            location__active=True,
            instance__damaged=False,
            created__lt=now - datetime.timedelta(minutes=settings.REPLICATION_PENDING_MINUTES),
        )
        .order_by("created")
        .values_list("instance_id", flat=True)[:limit]
    )
    ids = list(dict.fromkeys(added + [str(pk) for pk in due]))
    return ids[:limit]


def verify_upload(instance_id: str, claim: datetime.datetime) -> CopyCheck | None:
    """The check after an upload: re-read the stored bytes and compare size, MD5 and SHA-256 with the
    upload's (a history row). A mismatch is handled as any failed check (``check_fixity``: repair from
    an intact copy or mark damaged, and tell staff). None if another run did it (claim gone)."""
    instance = (
        FileInstance.objects.select_related("location").filter(pk=instance_id, fixity_claimed=claim).first()
    )
    if instance is None:
        return None
    with transaction.atomic():
        check = _check_copy(instance.location, instance.path, None)
        if not check.result:
            check.result = FixityResult.OK if check.actual == _expected(instance) else FixityResult.MISMATCH
        _record(instance, check, timezone.now())
    if not check.ok:
        check_fixity(instance)
    FileInstance.objects.filter(pk=instance_id, fixity_claimed=claim).update(fixity_claimed=None)
    return check


@dataclass
class LocationCopies:
    """Copies held by one location, by state; ``active`` false: no longer in ``STORAGE_LOCATIONS``."""

    location: Location
    primary: int
    states: dict[str, int]

    @property
    def replicas(self) -> int:
        return sum(self.states.values())


def copies_by_location() -> list[LocationCopies]:
    """Every location that holds copies (configured or not), with its primary copies and replica states."""
    sync_locations()
    primaries = dict(
        FileInstance.objects.values("location").annotate(n=Count("pk")).values_list("location", "n")
    )
    states: dict[int, dict[str, int]] = {}
    for location_id, state, n in (
        FileReplica.objects.values("location", "state")
        .annotate(n=Count("pk"))
        .values_list("location", "state", "n")
    ):
        states.setdefault(location_id, {})[state] = n
    result = []
    for location in Location.objects.all():
        if location.active or location.pk in primaries or location.pk in states:
            counts = {state.value: states.get(location.pk, {}).get(state.value, 0) for state in ReplicaState}
            result.append(LocationCopies(location, primaries.get(location.pk, 0), counts))
    return result


def unconfigured_replicas() -> list[LocationCopies]:
    """Locations removed from ``STORAGE_LOCATIONS`` that still hold replicas: reported, not dropped
    (they are neither checked nor used for repairs while unconfigured)."""
    return [c for c in copies_by_location() if not c.location.active and (c.replicas or c.primary)]


def _lock(instance: FileInstance) -> bool:
    """Lock the instance's row until the transaction ends (False if it is gone): a history row is never
    written for an instance that a concurrent ``drop_staged`` is deleting."""
    return bool(list(FileInstance.objects.select_for_update().filter(pk=instance.pk).values_list("pk")))


def _record(instance: FileInstance, check: CopyCheck, now: datetime.datetime) -> None:
    """One history row for one copy, and the copy's (or the instance's) latest state."""
    with transaction.atomic():
        if _lock(instance):
            _record_locked(instance, check, now)


def _record_locked(instance: FileInstance, check: CopyCheck, now: datetime.datetime) -> None:
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
    if check.result == FixityResult.UNREACHABLE:  # nothing learnt about the copy: its state stands
        if check.replica is not None:
            FileReplica.objects.filter(pk=check.replica.pk).update(last_result=check.result)
        return
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


def _results(checks: list[CopyCheck]) -> dict[str, bool]:
    """{location: intact} of the copies that could be read (unreachable locations are left out)."""
    return {c.location.name: c.ok for c in checks if c.result != FixityResult.UNREACHABLE}


def verify(instance: FileInstance, actor: Actor = None) -> dict[str, bool]:
    """Re-read every copy of ``instance`` and compare size, MD5 and SHA-256: {location: ok}.

    Every copy's check is a ``FixityCheck`` row; replicas get their state (verified, damaged, missing).
    """
    checks = _verify(instance)
    results = _results(checks)
    if not all(results.values()):
        logger.warning("fixity check failed for instance %s (%s): %s", instance.pk, instance.path, results)
        audit(actor, "verify_failed", instance, after={"results": results})
    return results


def repair(instance: FileInstance, actor: Actor = None) -> dict[str, bool]:
    """Rewrite bad or missing copies from a good one; returns the verification after the repair."""
    results = verify(instance, actor)
    with transaction.atomic():
        return _repair(instance, results, actor)[0]


def _repair(
    instance: FileInstance, results: dict[str, bool], actor: Actor
) -> tuple[dict[str, bool], list[str]]:
    """Rewrite the copies that failed from one that passed, then verify again: (results, repaired)."""
    if all(results.values()) or not _lock(instance):
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
        if results.get(location.name) is not False:  # intact, or not reachable now
            continue
        started = time.monotonic()
        with source_location.backend().open_read(source_path) as source:
            tee = streams.DigestingReader(source)
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
        found = _results(checks)
        outcome = Outcome(instance, found, found, bytes_read=sum(c.bytes_read for c in checks))
        outcome.unreachable = [c.location.name for c in checks if c.result == FixityResult.UNREACHABLE]
        if outcome.unreachable:
            logger.warning("instance %s: could not read its copies in %s", instance.pk, outcome.unreachable)
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
    claimed = set(
        FileInstance.objects.filter(pk__in=candidates, fixity_claimed=now).values_list("pk", flat=True)
    )
    return [str(pk) for pk in candidates if pk in claimed], now  # in the order they are due


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
