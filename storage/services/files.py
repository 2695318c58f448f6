"""Keys and versions of a bucket: the working set, the published state, and the owner's verbs
that change them (``remove_file``, ``restore_file``, ``publish_staged``, ``discard_staged``, ``delete_bucket``),
plus ``create_bucket``, ``lock_bucket`` and ``unlock_bucket``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Actor
from audit.services import audit
from storage.models import Bucket, FileInstance, FileKey, FileVersion, Upload, VersionState
from storage.services.errors import FileMissing, InvalidKey, NotEditable
from storage.services.keys import validate_key
from storage.services.locations import bytes_gone_on_commit

# --- Buckets --------------------------------------------------------------------------------------


def create_bucket(subject_type: str = "", subject_id: str = "", *, locked: bool = False) -> Bucket:
    """A new empty bucket; ``subject_type``/``subject_id`` name its owner in audit entries."""
    return Bucket.objects.create(subject_type=subject_type, subject_id=str(subject_id), locked=locked)


def create_buckets(subject_type: str, subject_ids: list, *, locked: bool = False) -> list[Bucket]:
    """Many empty buckets at once (bulk paths), one per subject id, in the order given."""
    return Bucket.objects.bulk_create(
        [Bucket(subject_type=subject_type, subject_id=str(pk), locked=locked) for pk in subject_ids]
    )


# lock_bucket/unlock_bucket write no audit entry: the owner's verb that calls them (publish, open an
# edit draft, …) writes one.


def lock_bucket(bucket: Bucket) -> None:
    """Refuse changes to the bucket's files until ``unlock_bucket`` (staged ones are kept)."""
    Bucket.objects.filter(pk=bucket.pk).update(locked=True, updated=timezone.now())
    bucket.locked = True


def unlock_bucket(bucket: Bucket) -> None:
    """Allow new staged versions and removals."""
    Bucket.objects.filter(pk=bucket.pk).update(locked=False, updated=timezone.now())
    bucket.locked = False


def lock_for_update(bucket: Bucket) -> Bucket:
    """The bucket's row, locked until the transaction ends: serialises changes of one bucket."""
    return Bucket.objects.select_for_update().get(pk=bucket.pk)


def require_unlocked(bucket: Bucket) -> None:
    if bucket.locked:
        raise NotEditable(_("The files of this record can no longer be changed."))


def delete_bucket(bucket: Bucket, actor: Actor) -> None:
    """Delete a bucket that never published a version, with its staged bytes and uploads."""
    with transaction.atomic():
        bucket = lock_for_update(bucket)
        if FileVersion.objects.filter(file__bucket=bucket, state=VersionState.PUBLISHED).exists():
            raise NotEditable(_("The files of this record can no longer be changed."))  # published: kept
        for version in FileVersion.objects.select_related("instance__location").filter(file__bucket=bucket):
            drop_staged(version)
        drop_uploads(bucket)
        bucket.delete()


# --- Reading the working set and the published state ---------------------------------------------------


def files_with_versions(bucket: Bucket) -> QuerySet[FileKey]:
    """The bucket's keys with their versions (and instances) prefetched."""
    versions = FileVersion.objects.select_related("instance", "created_by")
    return FileKey.objects.filter(bucket=bucket).prefetch_related(Prefetch("versions", queryset=versions))


def _number(version: FileVersion) -> int:
    """The number of a published version (numbered from 1; staged ones have none)."""
    return version.number or 0


def latest_published(file_key: FileKey) -> FileVersion | None:
    published = [v for v in file_key.versions.all() if v.state == VersionState.PUBLISHED]
    return max(published, key=_number, default=None)


def staged_version(file_key: FileKey) -> FileVersion | None:
    return next((v for v in file_key.versions.all() if v.state == VersionState.STAGED), None)


@dataclass
class WorkingFile:
    """A key as the owner sees it while editing: what the next published state will hold."""

    file: FileKey
    version: FileVersion | None  # None when the key's removal is staged
    current: FileVersion | None  # the published version, if any
    status: str  # "new", "replaced", "unchanged", "removed"
    history: list[FileVersion] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.file.key


def working_files(bucket: Bucket) -> list[WorkingFile]:
    """Every key of a draft or edit draft: staged, unchanged and staged-for-removal ones."""
    return _working(files_with_versions(bucket))


def working_files_by_bucket(bucket_ids: Iterable[int]) -> dict[int, list[WorkingFile]]:
    """``working_files`` of many buckets at once, in a fixed number of queries (for API lists)."""
    return {pk: _working(keys) for pk, keys in _keys_by_bucket(bucket_ids).items()}


def _keys_by_bucket(bucket_ids: Iterable[int]) -> dict[int, list[FileKey]]:
    ids = list(bucket_ids)
    versions = FileVersion.objects.select_related("instance", "created_by")
    file_keys = FileKey.objects.filter(bucket_id__in=ids).prefetch_related(
        Prefetch("versions", queryset=versions)
    )
    grouped: dict[int, list[FileKey]] = {pk: [] for pk in ids}
    for file_key in file_keys:
        grouped[file_key.bucket_id].append(file_key)
    return grouped


def _working(file_keys: Iterable[FileKey]) -> list[WorkingFile]:
    result: list[WorkingFile] = []
    for file_key in file_keys:
        current = None if file_key.removed else latest_published(file_key)
        staged = staged_version(file_key)
        history = sorted(
            (v for v in file_key.versions.all() if v.state == VersionState.PUBLISHED),
            key=_number,
            reverse=True,
        )
        if file_key.remove_staged:
            if current is not None:
                result.append(WorkingFile(file_key, None, current, "removed", history))
            continue
        if staged is not None:
            status = "replaced" if current is not None else "new"
            result.append(WorkingFile(file_key, staged, current, status, history))
        elif current is not None:
            result.append(WorkingFile(file_key, current, current, "unchanged", history))
    return result


PublishedFile = tuple[FileKey, FileVersion, list[FileVersion]]


def _published(file_keys: Iterable[FileKey]) -> list[PublishedFile]:
    result = []
    for file_key in file_keys:
        if file_key.removed:
            continue
        history = sorted(
            (v for v in file_key.versions.all() if v.state == VersionState.PUBLISHED),
            key=_number,
            reverse=True,
        )
        if history:
            result.append((file_key, history[0], history))
    return result


def published_files(bucket: Bucket) -> list[PublishedFile]:
    """(key, current version, all published versions newest first) of the published state."""
    return _published(files_with_versions(bucket))


def published_files_by_bucket(bucket_ids: Iterable[int]) -> dict[int, list[PublishedFile]]:
    """``published_files`` of many buckets at once, in a fixed number of queries (for API lists)."""
    ids = list(bucket_ids)
    versions = FileVersion.objects.select_related("instance", "created_by")
    file_keys = FileKey.objects.filter(bucket_id__in=ids).prefetch_related(
        Prefetch("versions", queryset=versions)
    )
    grouped: dict[int, list[FileKey]] = {pk: [] for pk in ids}
    for file_key in file_keys:
        grouped[file_key.bucket_id].append(file_key)
    return {pk: _published(keys) for pk, keys in grouped.items()}


def current_files(bucket: Bucket) -> list[dict]:
    """The current published files: key, size, md5, sha256 (prefixed), mimetype, version, created."""
    return [
        {
            "key": file_key.key,
            "size": version.instance.size,
            "md5": version.instance.md5,
            "sha256": version.instance.sha256,
            "mimetype": version.mimetype,
            "version": version.number,
            "created": version.published_at or version.created,
        }
        for file_key, version, _history in published_files(bucket)
    ]


def find_version(bucket: Bucket, key: str, version: str | None, *, privileged: bool) -> FileVersion:
    """The version a download asks for; ``FileMissing`` if there is none the caller may see.

    ``version`` is None (the current published one; for owners of an unpublished key the staged
    one), a number, or "draft" (the staged one, owners and staff only).
    """
    try:
        key = validate_key(key)
    except InvalidKey:
        raise FileMissing(_("There is no file “%(key)s” in this record.") % {"key": key})
    file_key = files_with_versions(bucket).filter(key=key).first()
    if file_key is None:
        raise FileMissing(_("There is no file “%(key)s” in this record.") % {"key": key})
    if version in (None, ""):
        return _current_version(file_key, privileged=privileged)
    if version == "draft":
        staged = staged_version(file_key) if privileged else None
        if staged is None:
            raise FileMissing(_("There is no staged version of “%(key)s”.") % {"key": key})
        return staged
    try:
        number = int(version)
    except (TypeError, ValueError):
        raise FileMissing(_("“%(version)s” is not a version number.") % {"version": version})
    for candidate in file_key.versions.all():
        if candidate.number == number and candidate.state == VersionState.PUBLISHED:
            if file_key.removed and not privileged:
                break
            return candidate
    raise FileMissing(_("Version %(number)s of “%(key)s” does not exist.") % {"number": number, "key": key})


def _current_version(file_key: FileKey, *, privileged: bool) -> FileVersion:
    """The current published version; for owners of a key not yet published, the staged one."""
    if not file_key.removed:
        current = latest_published(file_key)
        if current is not None:
            return current
    if privileged and (staged := staged_version(file_key)) is not None:
        return staged
    raise FileMissing(_("There is no file “%(key)s” in this record.") % {"key": file_key.key})


# --- Changing the working set ------------------------------------------------------------------------


def drop_staged(version: FileVersion) -> None:
    """Delete an unpublished version and, after commit, its bytes (published ones are never deleted)."""
    if version.state != VersionState.STAGED:
        raise ValueError(f"version {version.pk} is published: published versions are never deleted")
    instance = version.instance
    version.delete()
    if not instance.versions.exists():
        # the instance's row first (as the replica and fixity tasks do), so none of them adds a row
        # that points at it meanwhile
        list(FileInstance.objects.select_for_update().filter(pk=instance.pk).values_list("pk"))
        copies = [(instance.location, instance.path)]
        copies += [(r.location, r.path) for r in instance.replicas.select_related("location")]
        instance.delete()
        for location, path in copies:
            bytes_gone_on_commit(location, path)


def remove_file(bucket: Bucket, key: str, actor: Actor) -> None:
    """Remove ``key`` from the next published state; published versions stay stored."""
    key = validate_key(key)
    with transaction.atomic():
        bucket = lock_for_update(bucket)
        require_unlocked(bucket)
        file_key = FileKey.objects.select_for_update().filter(bucket=bucket, key=key).first()
        if file_key is None or file_key.remove_staged:
            raise FileMissing(_("There is no file “%(key)s” in this record.") % {"key": key})
        staged = list(
            FileVersion.objects.select_related("instance__location").filter(
                file=file_key, state=VersionState.STAGED
            )
        )
        for version in staged:
            drop_staged(version)
        published = FileVersion.objects.filter(file=file_key, state=VersionState.PUBLISHED).exists()
        if published and not file_key.removed:
            file_key.remove_staged = True
            file_key.save(update_fields=["remove_staged"])
        elif not published:
            file_key.delete()
        audit(actor, "remove_file", bucket.subject, before={"key": key, "staged_versions": len(staged)})


def restore_file(bucket: Bucket, key: str, actor: Actor) -> None:
    """Undo a staged removal."""
    key = validate_key(key)
    with transaction.atomic():
        bucket = lock_for_update(bucket)
        require_unlocked(bucket)
        updated = FileKey.objects.filter(bucket=bucket, key=key, remove_staged=True).update(
            remove_staged=False
        )
        if not updated:
            raise FileMissing(_("“%(key)s” is not marked for removal.") % {"key": key})
        audit(actor, "restore_file", bucket.subject, after={"key": key})


# --- The owner publishes or discards the working set (inside its own transaction) -------------------------


def publish_staged(bucket: Bucket, actor: Actor) -> None:
    """Staged versions become current (numbered); staged removals hide their keys. (Their bytes were
    copied to the other locations when they were stored: ``track_new_instances``.)"""
    now = timezone.now()
    published, removed = [], []
    for file_key in FileKey.objects.select_for_update().filter(bucket=bucket):
        if file_key.remove_staged:
            file_key.removed = True
            file_key.remove_staged = False
            file_key.save(update_fields=["removed", "remove_staged"])
            removed.append(file_key.key)
            continue
        staged = FileVersion.objects.select_related("instance").filter(
            file=file_key, state=VersionState.STAGED
        )
        for version in staged:
            last = file_key.versions.aggregate(n=Max("number"))["n"] or 0
            version.number = last + 1
            version.state = VersionState.PUBLISHED
            version.published_at = now
            version.save(update_fields=["number", "state", "published_at"])
            published.append({"key": file_key.key, "version": version.number, "md5": version.instance.md5})
            if file_key.removed:
                file_key.removed = False
                file_key.save(update_fields=["removed"])
    drop_uploads(bucket)
    if published or removed:
        audit(actor, "publish_files", bucket.subject, after={"published": published, "removed": removed})


def discard_staged(bucket: Bucket, actor: Actor) -> None:
    """Drop staged versions and staged removals; published versions stay."""
    dropped = []
    for file_key in FileKey.objects.select_for_update().filter(bucket=bucket):
        staged = FileVersion.objects.select_related("instance__location").filter(
            file=file_key, state=VersionState.STAGED
        )
        for version in staged:
            dropped.append(file_key.key)
            drop_staged(version)
        if file_key.remove_staged:
            file_key.remove_staged = False
            file_key.save(update_fields=["remove_staged"])
        if not file_key.versions.exists():
            file_key.delete()
    drop_uploads(bucket)
    if dropped:
        audit(actor, "discard_files", bucket.subject, before={"staged": dropped})


def drop_uploads(bucket: Bucket) -> None:
    for upload in Upload.objects.select_related("location").filter(bucket=bucket):
        upload.delete()
        bytes_gone_on_commit(upload.location, upload.path)
