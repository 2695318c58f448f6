"""Replicas and fixity: copies of published bytes in other locations, checked and repaired."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Actor
from audit.services import audit
from storage import streams
from storage.backends import BackendError
from storage.models import FileInstance, FileReplica, Location
from storage.services.errors import ChecksumMismatch
from storage.services.locations import delete_quietly, sync_locations

logger = logging.getLogger(__name__)


def _copies(instance: FileInstance) -> list[tuple[Location, str, FileReplica | None]]:
    copies: list[tuple[Location, str, FileReplica | None]] = [(instance.location, instance.path, None)]
    copies += [(r.location, r.path, r) for r in instance.replicas.select_related("location")]
    return copies


def _digest_copy(location: Location, path: str) -> tuple[str, str, int] | None:
    backend = location.backend()
    try:
        with backend.open_read(path) as source:
            counter = _CountingReader(source)
            md5, sha256 = streams.digest_file(counter)
            return md5, sha256, counter.count
    except (OSError, BackendError):
        return None


class _CountingReader:
    def __init__(self, source: streams.Readable):
        self.source = source
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        block = self.source.read(size)
        self.count += len(block)
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
            defaults={"path": instance.path, "last_verified": timezone.now(), "verified_ok": True},
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


def verify(instance: FileInstance, actor: Actor = None) -> dict[str, bool]:
    """Re-read every copy of ``instance`` and compare size, MD5 and SHA-256: {location: ok}."""
    now = timezone.now()
    results = {}
    for location, path, replica in _copies(instance):
        found = _digest_copy(location, path)
        ok = found == (instance.md5, instance.sha256, instance.size)
        results[location.name] = ok
        if replica is not None:
            FileReplica.objects.filter(pk=replica.pk).update(last_verified=now, verified_ok=ok)
        else:
            FileInstance.objects.filter(pk=instance.pk).update(last_verified=now, verified_ok=ok)
    if not all(results.values()):
        logger.warning("fixity check failed for instance %s (%s): %s", instance.pk, instance.path, results)
        audit(actor, "verify_failed", instance, after={"results": results})
    return results


def repair(instance: FileInstance, actor: Actor = None) -> dict[str, bool]:
    """Rewrite bad or missing copies from a good one; returns the verification after the repair."""
    results = verify(instance, actor)
    good = [(loc, path) for loc, path, _r in _copies(instance) if results.get(loc.name)]
    if not good:
        logger.warning("instance %s cannot be repaired: no intact copy (%s)", instance.pk, results)
        audit(actor, "repair_failed", instance, after={"results": results})
        return results
    source_location, source_path = good[0]
    for location, path, _replica in _copies(instance):
        if results.get(location.name):
            continue
        with source_location.backend().open_read(source_path) as source:
            location.backend().save_stream(path, source, instance.size)
        audit(actor, "repair", instance, after={"location": location.name, "from": source_location.name})
    after = verify(instance, actor)
    if not all(after.values()):
        logger.warning("repair of instance %s left bad copies: %s", instance.pk, after)
    return after
