"""A bucket's limits: usage of the working set plus unfinished uploads, checks, and raised quotas."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Actor
from audit.services import audit
from storage.models import Bucket, FileVersion, Upload, VersionState
from storage.services.actors import recorded_user
from storage.services.errors import QuotaExceeded, StorageError
from storage.services.files import lock_for_update, working_files
from storage.sizes import format_size

logger = logging.getLogger(__name__)


# A limit beyond the bucket's, set by whoever owns the buckets (the records app: one user's drafts):
# called as ``allowance(bucket, key, size)`` inside the transaction that starts an upload, with the
# bucket locked and before any byte is stored; it raises a ``StorageError`` (``QuotaExceeded``) to refuse.
Allowance = Callable[[Bucket, str, int], None]


@dataclass
class Usage:
    bytes: int
    files: int
    max_bytes: int
    max_files: int


def working_sizes(bucket: Bucket) -> dict[str, int]:
    return {wf.key: wf.version.size for wf in working_files(bucket) if wf.version is not None}


def usage(
    bucket: Bucket, *, exclude_upload: Upload | None = None, working: dict[str, int] | None = None
) -> Usage:
    """Bytes and files of the working set plus unfinished uploads (their declared sizes)."""
    max_bytes, max_files = bucket.limits
    working = working_sizes(bucket) if working is None else working
    uploads = Upload.objects.filter(bucket=bucket)
    if exclude_upload is not None:
        uploads = uploads.exclude(pk=exclude_upload.pk)
    pending = list(uploads.values_list("key", "size"))
    total = sum(working.values()) + sum(size for _key, size in pending)
    keys = set(working) | {key for key, _size in pending}
    return Usage(total, len(keys), max_bytes, max_files)


def pending_bytes(bucket_ids: Iterable[int], *, except_key: tuple[int, str] | None = None) -> int:
    """Bytes not yet published in these buckets: staged versions plus unfinished uploads (declared
    sizes). ``except_key`` (bucket id, key) leaves out that key's staged version, which a new upload
    of the same key replaces."""
    ids = list(bucket_ids)
    if not ids:
        return 0
    staged = FileVersion.objects.filter(file__bucket__in=ids, state=VersionState.STAGED)
    if except_key is not None:
        staged = staged.exclude(file__bucket=except_key[0], file__key=except_key[1])
    staged_bytes = staged.aggregate(total=Sum("instance__size"))["total"] or 0
    uploading = Upload.objects.filter(bucket__in=ids).aggregate(total=Sum("size"))["total"] or 0
    return int(staged_bytes) + int(uploading)


def check_quota(bucket: Bucket, key: str, size: int, *, exclude_upload: Upload | None = None) -> None:
    """Refuse an upload of ``size`` bytes to ``key`` that would pass the bucket's limits."""
    working = working_sizes(bucket)
    current = usage(bucket, exclude_upload=exclude_upload, working=working)
    replaced = working.get(key, 0)
    after = current.bytes - replaced + size
    if after > current.max_bytes:
        logger.warning(
            "bucket %s: refused %s bytes for %r: quota of %s bytes (%s in use)",
            bucket.pk,
            size,
            key,
            current.max_bytes,
            current.bytes,
        )
        raise QuotaExceeded(
            _(
                "This file (%(size)s) would pass the record's quota of %(limit)s: %(used)s are already "
                "in use or being uploaded. Remove files, or ask the staff for a higher quota."
            )
            % {
                "size": format_size(size),
                "limit": format_size(current.max_bytes),
                "used": format_size(current.bytes),
            },
            limit=current.max_bytes,
            used=current.bytes,
            size=size,
        )
    uploads = Upload.objects.filter(bucket=bucket, key=key)
    if exclude_upload is not None:
        uploads = uploads.exclude(pk=exclude_upload.pk)
    is_new = key not in working and not uploads.exists()
    if is_new and current.files + 1 > current.max_files:
        logger.warning("bucket %s: refused %r: limit of %s files", bucket.pk, key, current.max_files)
        raise QuotaExceeded(
            _(
                "This record already has %(count)s files; the limit is %(limit)s. Ask the staff for a higher limit."
            )
            % {"count": current.files, "limit": current.max_files},
            limit_files=current.max_files,
            files=current.files,
        )


def set_quota(actor: Actor, bucket: Bucket, *, max_bytes: int, max_files: int, reason: str = "") -> Bucket:
    """Staff raise (or set) one bucket's limits."""
    if max_bytes < 0 or max_files < 1:
        raise StorageError(_("A quota needs at least 0 bytes and at least 1 file."))
    with transaction.atomic():
        bucket = lock_for_update(bucket)
        before = dict(zip(("max_bytes", "max_files"), bucket.limits, strict=True))
        bucket.max_bytes, bucket.max_files, bucket.quota_reason = max_bytes, max_files, reason
        bucket.quota_granted_by = recorded_user(actor)
        bucket.updated = timezone.now()
        bucket.save(update_fields=["max_bytes", "max_files", "quota_reason", "quota_granted_by", "updated"])
        audit(
            actor,
            "set_quota",
            bucket.subject,
            before=before,
            after={"max_bytes": max_bytes, "max_files": max_files},
            reason=reason,
        )
    return bucket
