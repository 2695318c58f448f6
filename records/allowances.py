"""Per-user limits on unpublished work, so that one account cannot fill the disk with drafts:

- ``USER_DRAFT_QUOTA_BYTES`` (default 100 GB): staged bytes plus unfinished uploads (declared sizes)
  across all drafts and edit drafts a user owns, on top of each record's own quota;
- ``USER_MAX_OPEN_DRAFTS`` (default 50): drafts not yet published (``services.create_draft``).

Both are checked before anything is stored. Storage knows nothing of users: the faces that store
bytes pass ``draft_allowance(record)`` to the storage verbs, which call it inside the transaction
that starts an upload; the owner's row is locked there, so concurrent uploads cannot both pass.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from records.models import Record, RecordState
from storage import services as storage_services
from storage.models import Bucket
from storage.sizes import format_size


def lock_user(user_id: int) -> None:
    """Serialise the checks of one user (call inside a transaction)."""
    list(User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True))


def draft_bucket_ids(user_id: int) -> list[int]:
    """The buckets of the user's drafts and open edit drafts."""
    return [
        bucket_id
        for bucket_id in Record.objects.filter(owner_id=user_id)
        .filter(Q(state=RecordState.DRAFT) | Q(draft_metadata__isnull=False))
        .exclude(bucket__isnull=True)
        .values_list("bucket_id", flat=True)
        if bucket_id is not None
    ]


def draft_bytes(
    user_id: int, *, except_key: tuple[int, str] | None = None, except_bucket: int | None = None
) -> int:
    """Bytes the user's drafts and edit drafts hold or are receiving, not yet published (leaving out one
    key of a bucket, or one whole bucket)."""
    buckets = [pk for pk in draft_bucket_ids(user_id) if pk != except_bucket]
    return storage_services.pending_bytes(buckets, except_key=except_key)


def draft_allowance(record: Record) -> storage_services.Allowance:
    """The check a storage verb runs before an upload to ``record`` (its owner's allowance)."""
    owner_id = record.owner_id

    def check(bucket: Bucket, key: str, size: int) -> None:
        lock_user(owner_id)
        limit = User.objects.get(pk=owner_id).draft_allowance_bytes()
        used = draft_bytes(owner_id, except_key=(bucket.pk, key))
        if used + size > limit:
            raise storage_services.QuotaExceeded(
                _(
                    "This file (%(size)s) would pass the allowance of %(limit)s for files not yet published, "
                    "across all drafts of the record's owner: %(used)s are already staged or being uploaded. "
                    "Publish or discard drafts, or ask the staff."
                )
                % {"size": format_size(size), "limit": format_size(limit), "used": format_size(used)},
                limit=limit,
                used=used,
                size=size,
                scope="user",
            )

    return check
