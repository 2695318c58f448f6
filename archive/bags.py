"""What a record's BagIt bag (RFC 8493) holds, and writing it out.

``plan(record)`` lists the payload (the current files under ``data/``, earlier versions under
``data/versions/<n>/``, each with the checksums storage already holds: nothing is re-hashed) and
builds the small tag files in memory: ``bagit.txt``, ``bag-info.txt``, ``metadata/record.json``,
``metadata/datacite.xml``, ``metadata/files.json``, ``metadata/history.json`` (revisions, inclusion
requests with their conversations, audit entries), ``metadata/tombstone.json`` for a withdrawn
record, the payload manifests and the tag manifests (MD5 and SHA-256).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from audit.models import AuditEntry
from curation.models import InclusionRequest
from records.exports import registry
from records.models import Record, RecordState
from storage import streams
from storage.models import FileInstance, FileVersion, VersionState
from storage.services import ChecksumMismatch, published_files

logger = logging.getLogger(__name__)

BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
RECORD_SUBJECT = "records.record"


@dataclass
class PayloadFile:
    name: str  # path inside the bag: data/<key> or data/versions/<n>/<key>
    instance: FileInstance
    key: str
    version: int
    mimetype: str
    current: bool

    @property
    def md5(self) -> str:
        return self.instance.md5.removeprefix("md5:")

    @property
    def sha256(self) -> str:
        return self.instance.sha256.removeprefix("sha256:")


@dataclass
class Plan:
    record: Record
    payload: list[PayloadFile]
    tags: dict[str, bytes] = field(default_factory=dict)

    @property
    def payload_bytes(self) -> int:
        return sum(p.instance.size for p in self.payload)


def _json(value: Any) -> bytes:
    return json.dumps(value, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False, sort_keys=True).encode()


def _encode_path(name: str) -> str:
    """A manifest path (RFC 8493 §2.1.3): percent-encode CR, LF and %."""
    return name.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


def payload_of(record: Record) -> list[PayloadFile]:
    """The current files under ``data/`` and every earlier published version (also of removed
    keys) under ``data/versions/<number>/``."""
    if record.bucket is None:
        return []
    current = {version.pk for _key, version, _history in published_files(record.bucket)}
    versions = (
        FileVersion.objects.filter(file__bucket=record.bucket, state=VersionState.PUBLISHED)
        .select_related("file", "instance__location")
        .order_by("file__key", "number")
    )
    result = []
    for version in versions:
        key = version.file.key
        is_current = version.pk in current
        name = f"data/{key}" if is_current else f"data/versions/{version.number}/{key}"
        result.append(
            PayloadFile(name, version.instance, key, version.number or 0, version.mimetype, is_current)
        )
    return result


def _render(name: str, record: Record) -> bytes | None:
    fmt = registry.get(name)
    if fmt is None:
        return None
    try:
        return fmt.to_bytes(record)
    except Exception:  # a format that cannot render this record (e.g. a tombstone) is left out
        logger.exception("could not render %s of record %s for its bag", name, record.pk)
        return None


def history_of(record: Record) -> dict:
    requests = (
        InclusionRequest.objects.filter(record=record)
        .select_related("community")
        .prefetch_related("comments")
    )
    audit_entries = AuditEntry.objects.filter(object_type=RECORD_SUBJECT, object_id=str(record.pk)).order_by(
        "created", "id"
    )
    return {
        "revisions": [
            {"number": r.number, "created": r.created, "summary": r.summary, "created_by": r.created_by_id}
            for r in record.revisions.order_by("number")
        ],
        "inclusion_requests": [
            {
                "id": r.pk,
                "community": r.community.slug,
                "kind": r.kind,
                "state": r.state,
                "created": r.created,
                "created_by": r.created_by_id,
                "decided_at": r.decided_at,
                "decided_by": r.decided_by_id,
                "reason": r.reason,
                "comments": [
                    {"author": c.author_id, "created": c.created, "body": c.body} for c in r.comments.all()
                ],
            }
            for r in requests
        ],
        "audit": [
            {
                "id": e.pk,
                "created": e.created,
                "actor": e.actor_id,
                "verb": e.verb,
                "before": e.before,
                "after": e.after,
                "reason": e.reason,
            }
            for e in audit_entries
        ],
    }


def plan(record: Record, bagging_date: datetime.date | None = None) -> Plan:
    """The whole bag of ``record``: payload entries and every tag file's bytes."""
    result = Plan(record, payload_of(record))
    tags: dict[str, bytes] = {"bagit.txt": BAGIT_TXT}
    record_json = _render("json", record)
    tags["metadata/record.json"] = record_json if record_json is not None else _json(record.metadata)
    datacite = _render("datacite", record)
    if datacite is not None:
        tags["metadata/datacite.xml"] = datacite
    tags["metadata/files.json"] = _json(
        [
            {
                "path": p.name,
                "key": p.key,
                "version": p.version,
                "current": p.current,
                "mimetype": p.mimetype,
                "instance": str(p.instance.pk),
                "size": p.instance.size,
                "md5": p.instance.md5,
                "sha256": p.instance.sha256,
            }
            for p in result.payload
        ]
    )
    tags["metadata/history.json"] = _json(history_of(record))
    if record.state == RecordState.WITHDRAWN:
        tags["metadata/tombstone.json"] = _json(
            {
                "state": record.state,
                "doi": record.doi,
                "withdrawn_at": record.withdrawn_at,
                "withdrawal_reason": record.withdrawal_reason,
                "withdrawal_category": record.withdrawal_category,
                "withdrawn_by": record.withdrawn_by,
            }
        )
    info = {
        "Source-Organization": settings.SITE_NAME,
        "External-Identifier": record.doi,
        "Internal-Sender-Identifier": str(record.pk),
        "External-Description": _one_line(record.title),
        "Bagging-Date": (bagging_date or timezone.now().date()).isoformat(),
        "Payload-Oxum": f"{result.payload_bytes}.{len(result.payload)}",
        "Bag-Software-Agent": "community research repository portal (archive app)",
    }
    tags["bag-info.txt"] = "".join(f"{k}: {v}\n" for k, v in info.items() if v).encode()
    tags["manifest-md5.txt"] = "".join(f"{p.md5}  {_encode_path(p.name)}\n" for p in result.payload).encode()
    tags["manifest-sha256.txt"] = "".join(
        f"{p.sha256}  {_encode_path(p.name)}\n" for p in result.payload
    ).encode()
    for algorithm in ("md5", "sha256"):
        lines = []
        for name in sorted(tags):
            if name.startswith("tagmanifest-"):
                continue
            digest = hashlib.new(algorithm, tags[name], usedforsecurity=False).hexdigest()
            lines.append(f"{digest}  {_encode_path(name)}\n")
        tags[f"tagmanifest-{algorithm}.txt"] = "".join(lines).encode()
    result.tags = tags
    return result


def write_directory(bag_plan: Plan, target: Path) -> None:
    """Write the bag into the folder ``target`` (created): payload streamed from storage and checked
    against its stored checksums on the way (``ChecksumMismatch`` if it differs)."""
    for name, data in bag_plan.tags.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for entry in bag_plan.payload:
        path = target / entry.name
        path.parent.mkdir(parents=True, exist_ok=True)
        instance = entry.instance
        digests = streams.Digests()
        count = 0
        with instance.location.backend().open_read(instance.path) as source, open(path, "wb") as out:
            while block := source.read(streams.BLOCK_SIZE):
                digests.update(block)
                out.write(block)
                count += len(block)
        if (*digests.result(), count) != (instance.md5, instance.sha256, instance.size):
            raise ChecksumMismatch(f"{entry.name}: the stored bytes of instance {instance.pk} do not match")


def copy_object(instance: FileInstance, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with instance.location.backend().open_read(instance.path) as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out, streams.BLOCK_SIZE)
