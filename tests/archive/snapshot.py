"""The state an export must carry over, field by field; ``show()`` prints it as JSON so that a
test can compare this instance with another one run as a subprocess (``manage.py shell -c``)."""

from __future__ import annotations

import hashlib
import json

from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder

from accounts.models import User
from audit.models import AuditEntry
from communities.models import Community, Membership
from curation.models import Comment, InclusionRequest
from records.models import CommunityRecord, MetadataRevision, Record
from storage.models import FileVersion, VersionState

MODELS = (
    Record,
    MetadataRevision,
    CommunityRecord,
    Community,
    Membership,
    InclusionRequest,
    Comment,
    AuditEntry,
)


def _rows(model, exclude=()) -> list[dict]:
    rows = serializers.serialize("python", model._base_manager.order_by("pk"))
    return [{"pk": row["pk"], **{k: v for k, v in row["fields"].items() if k not in exclude}} for row in rows]


def _files() -> dict[str, list[dict]]:
    result: dict[str, list[dict]] = {}
    for record in Record.objects.order_by("pk"):
        versions = (
            FileVersion.objects.filter(file__bucket=record.bucket, state=VersionState.PUBLISHED)
            .select_related("file", "instance__location")
            .order_by("file__key", "number")
        )
        files = []
        for version in versions:
            instance = version.instance
            with instance.location.backend().open_read(instance.path) as stream:
                stored = hashlib.sha256(stream.read()).hexdigest()
            files.append(
                {
                    "key": version.file.key,
                    "removed": version.file.removed,
                    "number": version.number,
                    "mimetype": version.mimetype,
                    "published_at": version.published_at,
                    "instance": str(instance.pk),
                    "size": instance.size,
                    "md5": instance.md5,
                    "sha256": instance.sha256,
                    "stored_sha256": "sha256:" + stored,
                }
            )
        result[str(record.pk)] = files
    return result


def snapshot() -> dict:
    state = {model._meta.label_lower: _rows(model) for model in MODELS}
    state["accounts.user"] = _rows(User, exclude=("password", "user_permissions", "groups"))
    state["files"] = _files()
    return json.loads(json.dumps(state, cls=DjangoJSONEncoder))


def show() -> None:
    print(json.dumps(snapshot(), cls=DjangoJSONEncoder))
