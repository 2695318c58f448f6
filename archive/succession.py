"""Succession: move the whole repository to another instance.

``export_bags(dest)`` writes one BagIt bag per published or withdrawn record under
``records/<id>/`` (written as ``records/.<id>.partial/`` and renamed when complete, so a rerun after
an interruption writes only the missing bags) and the metadata rows as JSON, one file per app
(``accounts.json``, ``communities.json`` with the members, ``records.json``, ``storage.json``,
``curation.json`` with the inclusion requests and their conversations, ``audit.json``), then
``export.json`` last. Passwords and access tokens are not exported.

``import_bags(src)`` refuses a database that is not empty or an export with an invalid bag (named)
before writing anything, then loads the rows (ids kept) and stores every file version's bytes from
the bags in the primary location, with the checksums of the export.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import bagit
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from archive import bags, dumps
from audit.models import AuditEntry
from communities.models import Community
from curation.models import InclusionRequest
from records.models import Record, RecordState
from storage import services as storage_services
from storage.models import FileInstance, FileVersion, Location, VersionState

FORMAT = "community-repository-succession-export/1"
EXPORTED_STATES = (RecordState.PUBLISHED, RecordState.WITHDRAWN)
# Per-instance state, credentials and caches that a successor rebuilds or must not receive: previews
# (and the table columns Croissant reads from them) are derived from the files (the successor's workers
# make them again), usage events and their salts live a day, reviewer links belong to never-published drafts.
NOT_EXPORTED_APPS = {"axes", "oaipmh", "archive", "previews"}
NOT_EXPORTED = {
    "storage.location",
    "storage.filereplica",
    "storage.fixitycheck",
    "storage.upload",
    "accounts.personalaccesstoken",
    "stats.event",
    "stats.dailysalt",
    "aitools.reviewlink",
}
JSON_FILES = ("accounts", "communities", "storage", "records", "curation", "audit")


class ExportError(Exception):
    pass


class ImportRefused(Exception):
    """Nothing was written: the database is not empty or the export is not valid."""


def exported_records() -> models.QuerySet[Record]:
    return Record.objects.filter(state__in=EXPORTED_STATES)


def _filters() -> dict[str, Callable[[models.QuerySet], models.QuerySet]]:
    records = exported_records()
    buckets = records.values("bucket_id")
    versions = FileVersion.objects.filter(file__bucket__in=buckets, state=VersionState.PUBLISHED)
    return {
        "records.record": lambda qs: qs.filter(state__in=EXPORTED_STATES),
        "stats.dailystat": lambda qs: qs.filter(record_id__in=records.values("pk")),
        "storage.bucket": lambda qs: qs.filter(pk__in=buckets),
        "storage.filekey": lambda qs: qs.filter(pk__in=versions.values("file_id")),
        "storage.fileversion": lambda qs: qs.filter(pk__in=versions.values("pk")),
        "storage.fileinstance": lambda qs: qs.filter(pk__in=versions.values("instance_id")),
        "curation.comment": lambda qs: qs.filter(request__record__in=records),
        "curation.notification": lambda qs: qs.filter(
            Q(request__isnull=True) | Q(request__record__in=records)
        ),
    }


def export_models() -> list[type[models.Model]]:
    return [
        m
        for m in dumps.all_models()
        if m._meta.app_label not in NOT_EXPORTED_APPS and dumps.label(m) not in NOT_EXPORTED
    ]


def _rows(model: type[models.Model], filters: dict) -> Iterator[models.Model]:
    qs = model._base_manager.order_by(model._meta.pk.name)
    label = dumps.label(model)
    if label in filters:
        qs = filters[label](qs)
    elif any(f.name == "record" and f.is_relation for f in model._meta.fields):
        qs = qs.filter(record__state__in=EXPORTED_STATES)
    for obj in qs.iterator(chunk_size=2000):
        if isinstance(obj, User):
            obj.password = "!"  # unusable: the successor's users set a new one  # noqa: S105
        yield obj


def _write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    partial = path.with_name(f".{path.name}.partial")
    write(partial)
    partial.replace(path)


@dataclass
class ExportReport:
    written: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    json_written: list[str] = field(default_factory=list)


def export_bags(
    dest: Path,
    since: datetime.datetime | None = None,
    progress: Callable[[Iterable[int], int], Iterable[int]] | None = None,
) -> ExportReport:
    """Write the export into ``dest`` (see the module's description); returns what was written."""
    report = ExportReport()
    records_dir = dest / "records"
    records_dir.mkdir(parents=True, exist_ok=True)
    for leftover in records_dir.glob(".*.partial"):
        shutil.rmtree(leftover)
    chosen = exported_records()
    if since is not None:
        chosen = chosen.filter(Q(updated__gte=since) | Q(datestamp__gte=since))
    ids = list(chosen.order_by("pk").values_list("pk", flat=True))
    for record_id in progress(ids, len(ids)) if progress else ids:
        final = records_dir / str(record_id)
        if final.exists() and since is None:
            report.skipped.append(record_id)
            continue
        partial = records_dir / f".{record_id}.partial"
        record = Record.objects.get(pk=record_id)
        bags.write_directory(bags.plan(record), partial)
        if final.exists():
            shutil.rmtree(final)
        os.replace(partial, final)
        report.written.append(record_id)
    filters = _filters()
    by_file: dict[str, list[type[models.Model]]] = {name: [] for name in JSON_FILES}
    for model in export_models():
        by_file.setdefault(model._meta.app_label, []).append(model)
    for name, file_models in by_file.items():
        path = dest / f"{name}.json"
        if path.exists() and since is None and not report.written:
            continue

        def write(target: Path, file_models: list[type[models.Model]] = file_models) -> None:
            with open(target, "w", encoding="utf-8") as out:
                dumps.dump_objects(out, (obj for m in file_models for obj in _rows(m, filters)))

        _write_atomically(path, write)
        report.json_written.append(path.name)
    if report.written or report.json_written or not (dest / "export.json").exists():
        summary = {
            "format": FORMAT,
            "created": timezone.now().isoformat(),
            "since": since.isoformat() if since else None,
            "records": list(exported_records().order_by("pk").values_list("pk", flat=True)),
            "json": sorted(by_file),
        }

        def write_summary(target: Path) -> None:
            target.write_text(json.dumps(summary, indent=2), encoding="utf-8")

        _write_atomically(dest / "export.json", write_summary)
    return report


# --- Import --------------------------------------------------------------------------------------------


def database_contents() -> dict[str, int]:
    """Rows that make a database not empty (what ``migrate`` itself writes does not count)."""
    counts = {
        "records": Record.objects.count(),
        "users": User.objects.count(),
        "communities": Community.objects.count(),
        "inclusion requests": InclusionRequest.objects.count(),
        "audit entries": AuditEntry.objects.count(),
        "stored files": FileInstance.objects.count(),
    }
    return {name: n for name, n in counts.items() if n}


@dataclass
class Source:
    path: Path
    payload: dict[str, Path]  # instance id -> file inside a bag
    names: list[str]  # the JSON files, in load order
    count: int  # rows in them


def check_export(
    src: Path, progress: Callable[[Iterable[Path], int], Iterable[Path]] | None = None
) -> Source:
    """Read and validate the whole export; ``ImportRefused`` naming the first problem."""
    summary_path = src / "export.json"
    if not summary_path.exists():
        raise ImportRefused(f"{summary_path}: missing (not an export, or one that did not finish)")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    if summary.get("format") != FORMAT:
        raise ImportRefused(f"{summary_path}: unknown format {summary.get('format')!r}")
    records_dir = src / "records"
    bag_dirs = sorted(
        p
        for p in (records_dir.iterdir() if records_dir.is_dir() else [])
        if p.is_dir() and not p.name.startswith(".")
    )
    missing = sorted(set(map(str, summary["records"])) - {p.name for p in bag_dirs}, key=int)
    if missing:
        raise ImportRefused(f"{src / 'records'}: no bag for records {', '.join(missing)}")
    payload = _validate_bags(bag_dirs, progress)
    names = _load_order(summary["json"])
    rows = _read_rows(src, names)
    for row in rows:
        if row["model"] == "storage.fileinstance":
            _check_payload(row, payload)
    return Source(src, payload, names, len(rows))


def _validate_bags(bag_dirs: list[Path], progress: Callable | None) -> dict[str, Path]:
    """Full BagIt validation of every bag (every checksum); the payload files by instance id."""
    payload: dict[str, Path] = {}
    for bag_dir in progress(bag_dirs, len(bag_dirs)) if progress else bag_dirs:
        try:
            bagit.Bag(str(bag_dir)).validate(processes=1)
        except (bagit.BagError, bagit.BagValidationError) as exc:
            raise ImportRefused(f"invalid bag {bag_dir}: {exc}") from exc
        for entry in json.loads((bag_dir / "metadata" / "files.json").read_text(encoding="utf-8")):
            payload[entry["instance"]] = bag_dir / entry["path"]
    return payload


# Loaded in this order: natural keys (users by name, groups, permissions) must exist when read.
LOAD_ORDER = ("auth", "accounts", "communities", "storage", "records", "curation", "audit")


def _load_order(names: list[str]) -> list[str]:
    return sorted(names, key=lambda n: (LOAD_ORDER.index(n) if n in LOAD_ORDER else len(LOAD_ORDER), n))


def _read_rows(src: Path, names: list[str]) -> list[dict]:
    """The rows of every JSON file, as plain data (checked, not yet turned into objects)."""
    rows: list[dict] = []
    for name in names:
        path = src / f"{name}.json"
        if not path.exists():
            raise ImportRefused(f"{path}: missing")
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError) as exc:
            raise ImportRefused(f"{path}: {exc}") from exc
        if not isinstance(data, list) or not all(isinstance(r, dict) and "model" in r for r in data):
            raise ImportRefused(f"{path}: not a list of rows")
        rows += data
    return rows


def _check_payload(row: dict, payload: dict[str, Path]) -> None:
    source = payload.get(str(row["pk"]))
    fields = row.get("fields", {})
    if source is None:
        raise ImportRefused(f"stored file {row['pk']} ({fields.get('sha256')}) is in no bag")
    if source.stat().st_size != fields.get("size"):
        raise ImportRefused(f"{source}: {source.stat().st_size} bytes, expected {fields.get('size')}")


def import_bags(src: Path, progress: Callable[[Iterable, int], Iterable] | None = None) -> dict[str, int]:
    """Load an export into this empty instance; returns the number of rows loaded per model."""
    contents = database_contents()
    if contents:
        listed = ", ".join(f"{n} {name}" for name, n in contents.items())
        raise ImportRefused(f"the database is not empty ({listed}): import_bags loads into an empty instance")
    source = check_export(src, progress)
    location = storage_services.location_named("")
    written: list[str] = []
    counts: dict[str, int] = {}
    try:
        with transaction.atomic():
            counts = _load(source, location, written, progress)
    except BaseException:
        for path in written:
            storage_services.delete_object_quietly(location, path)
        raise
    return counts


def _objects(source: Source) -> Iterator[serializers.base.DeserializedObject]:
    """The rows, turned into objects one at a time (a row's natural keys find the rows saved before it)."""
    for name in source.names:
        with open(source.path / f"{name}.json", encoding="utf-8") as handle:
            yield from serializers.deserialize("json", handle, handle_forward_references=True)


def _load(
    source: Source, location: Location, written: list[str], progress: Callable | None
) -> dict[str, int]:
    counts: dict[str, int] = {}
    deferred = []
    loaded: set[type[models.Model]] = set()
    objects: Iterable[serializers.base.DeserializedObject] = _objects(source)
    if progress:
        objects = progress(objects, source.count)
    for obj in objects:
        model = type(obj.object)
        loaded.add(model)
        counts[dumps.label(model)] = counts.get(dumps.label(model), 0) + 1
        if isinstance(obj.object, FileInstance):
            _restore_instance(obj.object, source.payload[str(obj.object.pk)], location, written)
            continue
        obj.save()
        if obj.deferred_fields:
            deferred.append(obj)
    for obj in deferred:
        obj.save_deferred_fields()
    _reset_sequences(loaded)
    return counts


def _restore_instance(row: FileInstance, source: Path, location: Location, written: list[str]) -> None:
    instance_id = uuid.UUID(str(row.pk))
    path = FileInstance.path_for(instance_id)
    with open(source, "rb") as stream:
        written.append(path)
        storage_services.store_object(
            location, path, stream, size=row.size, md5=row.md5, sha256=row.sha256, instance_id=instance_id
        )
    FileInstance.objects.filter(pk=instance_id).update(created=row.created)


def _reset_sequences(loaded: set[type[models.Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), list(loaded))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
