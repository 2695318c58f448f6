"""Archive verbs: bag a record into the archive location (``make_bag``), fetch a bag back
(``fetch_bag``), find records whose published state is newer than their last bag
(``records_to_bag``), dump all metadata (``backup_metadata``) and find files without a verified copy
at a second site (``files_without_second_copy``, ``alert_missing_second_copies``)."""

from __future__ import annotations

import datetime
import gzip
import logging
import re
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Actor
from archive import bags, dumps
from archive.models import Bag, BagEntry
from audit.services import audit
from mail.services import queue_email
from records.models import Record, RecordState
from storage import services as storage_services
from storage.models import FileInstance, Location, ReplicaState

logger = logging.getLogger(__name__)

PAYLOAD_PREFIX = "bags/payload"
BACKUP_NAME = re.compile(r"^metadata-\d{8}T\d{6}Z\.json\.gz$")


def archive_location() -> Location:
    """Where bags are kept: ``ARCHIVE_LOCATION`` (a name in ``STORAGE_LOCATIONS``; empty: the primary)."""
    return storage_services.location_named(settings.ARCHIVE_LOCATION)


def _payload_object(location: Location, source: FileInstance) -> FileInstance:
    """The archived object holding these bytes, stored once per SHA-256: reused if already there."""
    digest = source.sha256.removeprefix("sha256:")
    path = f"{PAYLOAD_PREFIX}/{digest[:2]}/{digest}"
    existing = storage_services.find_object(location, path)
    if existing is not None:
        return existing
    with source.location.backend().open_read(source.path) as stream:
        try:
            with transaction.atomic():
                return storage_services.store_object(
                    location, path, stream, size=source.size, md5=source.md5, sha256=source.sha256
                )
        except IntegrityError:  # another worker archived the same bytes meanwhile
            return FileInstance.objects.get(location=location, path=path)


def make_bag(record: Record, actor: Actor = None) -> Bag:
    """Write a new bag of ``record`` to the archive location: payload files streamed from storage
    unless an object with the same checksum is archived already (each committed on its own, so a
    long copy holds no lock and a failed bag leaves reusable objects), then the tag files and the
    bag's rows in one short transaction."""
    location = archive_location()
    bag_plan = bags.plan(record)
    payload = [(p.name, _payload_object(location, p.instance)) for p in bag_plan.payload]
    with transaction.atomic():
        bag = Bag.objects.create(
            record=record,
            datestamp=record.datestamp,
            doi=record.doi,
            payload_bytes=bag_plan.payload_bytes,
            payload_files=len(bag_plan.payload),
        )
        entries = [BagEntry(bag=bag, name=name, instance=obj, payload=True) for name, obj in payload]
        for name, data in bag_plan.tags.items():
            path = f"bags/records/{record.pk}/{bag.pk}/{name}"
            entries.append(
                BagEntry(
                    bag=bag, name=name, instance=storage_services.store_object_bytes(location, path, data)
                )
            )
        BagEntry.objects.bulk_create(entries)
        audit(actor, "make_bag", record, after={"bag": bag.pk, "payload_oxum": bag.payload_oxum})
    return bag


def fetch_bag(bag: Bag, target: Path) -> Path:
    """Copy a bag from the archive location into the folder ``target`` (for ``bagit.py --validate``)."""
    for entry in bag.entries.select_related("instance__location"):
        bags.copy_object(entry.instance, target / entry.name)
    return target


def latest_bag(record: Record) -> Bag | None:
    return Bag.objects.filter(record=record).order_by("-created", "-id").first()


BAGGED_STATES = (RecordState.PUBLISHED, RecordState.WITHDRAWN)


def records_to_bag(limit: int) -> list[int]:
    """Published (or withdrawn) records never bagged or changed since their last bag (their
    datestamp moved: publish, a published edit, a membership, a withdrawal with its tombstone)."""
    last = Bag.objects.filter(record=OuterRef("pk")).order_by("-datestamp").values("datestamp")[:1]
    stale = (
        Record.objects.filter(state__in=BAGGED_STATES, datestamp__isnull=False)
        .annotate(bagged=Subquery(last))
        .filter(Q(bagged__isnull=True) | Q(bagged__lt=F("datestamp")))
        .order_by("datestamp", "pk")
    )
    return list(stale.values_list("pk", flat=True)[:limit])


def bag_if_stale(record_id: int) -> Bag | None:
    """``make_bag`` unless the record is a draft or its last bag is as new as its datestamp. No lock
    is held while the payload is copied: a bag made twice by two deliveries is harmless."""
    record = Record.objects.filter(pk=record_id).first()
    if record is None or record.state not in BAGGED_STATES:
        return None
    last = latest_bag(record)
    stamps = (last.datestamp, record.datestamp) if last is not None else (None, None)
    if stamps[0] is not None and stamps[1] is not None and stamps[0] >= stamps[1]:
        return None
    return make_bag(record)


# --- Metadata backups ----------------------------------------------------------------------------


def backup_metadata(target_dir: Path, keep: int | None = None, now: datetime.datetime | None = None) -> Path:
    """Write ``metadata-<UTC time>.json.gz`` (every row, Django's JSON serialisation) into
    ``target_dir`` and delete all but the newest ``keep`` (``BACKUP_KEEP``) such dumps."""
    keep = settings.BACKUP_KEEP if keep is None else keep
    now = now or timezone.now()
    target_dir.mkdir(parents=True, exist_ok=True)
    name = f"metadata-{now.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}.json.gz"
    final = target_dir / name
    partial = target_dir / f".{name}.partial"
    with gzip.open(partial, "wt", encoding="utf-8") as out:
        dumps.dump(out, dumps.backup_models())
    partial.replace(final)
    backups = sorted(p for p in target_dir.iterdir() if BACKUP_NAME.match(p.name))
    for old in backups[: max(0, len(backups) - keep)]:
        old.unlink()
    logger.info("metadata backup written to %s", final)
    return final


# --- A verified copy at a second site ------------------------------------------------------------------


def files_without_second_copy() -> tuple[int, list[FileInstance]]:
    """How many instances lack intact copies (the instance itself unless found damaged, and its
    verified replicas) in at least two different locations, and the first
    ``SECOND_COPY_ALERT_MAX_FILES`` of them."""
    count, listed = 0, list[FileInstance]()
    instances = FileInstance.objects.select_related("location").prefetch_related("replicas__location")
    for instance in instances.order_by("created", "pk").iterator(chunk_size=2000):
        places = set()
        if not instance.damaged and instance.verified_ok is not False:
            places.add(instance.location_id)
        places |= {r.location_id for r in instance.replicas.all() if r.state == ReplicaState.VERIFIED}
        if len(places) < 2:
            count += 1
            if len(listed) < settings.SECOND_COPY_ALERT_MAX_FILES:
                listed.append(instance)
    return count, listed


def alert_missing_second_copies() -> int:
    """Send staff (``STAFF_EMAILS``) one e-mail listing the files without a verified second copy."""
    count, listed = files_without_second_copy()
    if count:
        lines = [
            f"{inst.location.name}:{inst.path} ({inst.size} bytes, {inst.sha256}, replicas: "
            + (", ".join(f"{r.location.name}={r.state}" for r in inst.replicas.all()) or "none")
            + ")"
            for inst in listed
        ]
        if count > len(listed):
            lines.append(_("… and %(more)s more.") % {"more": count - len(listed)})
        body = (
            _("These %(count)s stored files have no verified copy at a second site:") % {"count": count}
            + "\n\n"
            + "\n".join(lines)
            + "\n"
        )
        queue_email(list(settings.STAFF_EMAILS), _("Files without a second verified copy"), body)
    return count
