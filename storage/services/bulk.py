"""Bulk path for demo data: many small files straight to published version 1."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import Actor
from audit.models import AuditEntry
from audit.services import object_id, object_label
from storage.models import Bucket, FileInstance, FileKey, FileVersion, VersionState
from storage.services.actors import recorded_user
from storage.services.keys import guess_mimetype, validate_key
from storage.services.locations import primary_location
from storage.services.replicas import track_new_instances

BulkItem = tuple[Bucket, str, bytes, dt.datetime | None]


def bulk_store(items: Iterable[BulkItem], actor: Actor) -> list[FileVersion]:
    """Store ``(bucket, key, bytes, published_at)`` items as published version 1, in bulk.

    Writes the bytes and the same rows (instance with MD5 and SHA-256, key, published version,
    ``store_file`` audit entry) as an upload published by its owner. Buckets that already have keys
    are left alone, so seeding twice stores nothing new. Returns the versions created.
    """
    location = primary_location()
    backend = location.backend()
    owner = recorded_user(actor)
    items = list(items)
    buckets = {bucket.pk for bucket, *_rest in items}
    have_keys = set(FileKey.objects.filter(bucket__in=buckets).values_list("bucket_id", flat=True))
    instances, keys, versions, entries = [], [], [], []
    for bucket, key, data, published_at in items:
        if bucket.pk in have_keys:
            continue
        key = validate_key(key)
        stamp = published_at or timezone.now()
        instance_id = uuid.uuid4()
        path = FileInstance.path_for(instance_id)
        backend.save_stream(path, _Bytes(data), len(data))
        md5 = "md5:" + hashlib.md5(data, usedforsecurity=False).hexdigest()
        sha256 = "sha256:" + hashlib.sha256(data).hexdigest()
        instance = FileInstance(
            id=instance_id,
            location=location,
            path=path,
            size=len(data),
            md5=md5,
            sha256=sha256,
            created=stamp,
        )
        file_key = FileKey(bucket=bucket, key=key, created=stamp)
        instances.append(instance)
        keys.append(file_key)
        versions.append(
            FileVersion(
                file=file_key,
                instance=instance,
                number=1,
                state=VersionState.PUBLISHED,
                mimetype=guess_mimetype(key),
                created=stamp,
                created_by=owner,
                published_at=stamp,
            )
        )
        subject = bucket.subject
        entries.append(
            AuditEntry(
                actor=owner,
                verb="store_file",
                object_type=object_label(subject),
                object_id=object_id(subject),
                object_repr=str(subject)[:255],
                after={"key": key, "size": len(data), "md5": md5, "sha256": sha256},
            )
        )
    with transaction.atomic():
        FileInstance.objects.bulk_create(instances, batch_size=2000)
        FileKey.objects.bulk_create(keys, batch_size=2000)
        for version in versions:
            version.file_id = version.file.pk
        FileVersion.objects.bulk_create(versions, batch_size=2000)
        AuditEntry.objects.bulk_create(entries, batch_size=2000)
        track_new_instances(instances)
    return versions


class _Bytes:
    """``save_stream`` input for bytes already in memory."""

    def __init__(self, data: bytes):
        self.view = memoryview(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = len(self.view)
        block, self.view = self.view[:size], self.view[size:]
        return bytes(block)
