"""Uploads: the resumable protocol (``create_upload``, ``write_chunk``, ``finish_upload``,
``cancel_upload``), one-pass streams (``store_stream``, ``store_bytes``) and stale-upload expiry.

Bytes are written straight to the final path of their future ``FileInstance``; its row, and the
``FileVersion`` that makes it visible, are created only once every byte is stored and hashed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import io
import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Actor
from audit.services import audit
from storage import streams
from storage.backends import BackendError, LockBusy, StorageBackend
from storage.models import Bucket, FileInstance, FileKey, FileVersion, Upload, UploadState, VersionState
from storage.services.actors import recorded_user
from storage.services.errors import (
    ChecksumMismatch,
    FileMissing,
    IncompleteUpload,
    QuotaExceeded,
    StorageError,
    StorageFull,
    TooManyBytes,
    UploadBusy,
    WrongOffset,
)
from storage.services.files import drop_staged, lock_for_update, require_unlocked
from storage.services.keys import guess_mimetype, validate_key
from storage.services.locations import delete_quietly, primary_location
from storage.services.quotas import Allowance, check_quota, usage, working_sizes
from storage.services.replicas import track_new_instances
from storage.sizes import format_size

logger = logging.getLogger(__name__)

STALE_UPLOAD_AGE = dt.timedelta(hours=24)

# What ``store_stream`` reads: bytes in memory, a readable stream, or a ``read(n)`` callable.
StreamSource = bytes | bytearray | memoryview | streams.Readable | streams.ReadFunc


def _parse_checksum(value: str | None, algorithm: str, length: int) -> str | None:
    if not value:
        return None
    value = value.strip().lower()
    hexpart = value.removeprefix(f"{algorithm}:")
    if len(hexpart) != length or any(c not in "0123456789abcdef" for c in hexpart):
        raise ChecksumMismatch(
            _("The %(algorithm)s checksum “%(value)s” is not valid.")
            % {"algorithm": algorithm.upper(), "value": value}
        )
    return f"{algorithm}:{hexpart}"


def create_upload(
    bucket: Bucket, key: str, size: int, actor: Actor, *, allowance: Allowance | None = None
) -> Upload:
    """Start an upload of ``size`` bytes to ``key``: checks name, state, quota and the caller's
    ``allowance`` (see ``quotas.Allowance``) before any byte."""
    key = validate_key(key)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise StorageError(_("The size must be a whole number of bytes (0 or more)."))
    location = primary_location()
    with transaction.atomic():
        bucket = lock_for_update(bucket)
        require_unlocked(bucket)
        check_quota(bucket, key, size)
        if allowance is not None:
            allowance(bucket, key, size)
        upload_id = uuid.uuid4()
        upload = Upload.objects.create(
            id=upload_id,
            bucket=bucket,
            key=key,
            size=size,
            location=location,
            path=FileInstance.path_for(upload_id),
            created_by=recorded_user(actor),
        )
        audit(
            actor, "start_upload", bucket.subject, after={"upload": str(upload.id), "key": key, "size": size}
        )
    location.backend().begin_upload(upload.path)
    return upload


def _check_chunk(upload: Upload, offset: int, length: int) -> None:
    """A chunk of ``length`` bytes at ``offset`` fits the upload as ``upload`` says it stands."""
    if upload.state != UploadState.ACTIVE:
        raise UploadBusy(_("This upload is being finished."), offset=upload.offset)
    if offset != upload.offset:
        raise WrongOffset(
            _("The chunk starts at byte %(given)s but the upload continues at byte %(expected)s.")
            % {"given": offset, "expected": upload.offset},
            offset=upload.offset,
        )
    if offset + length > upload.size:
        raise TooManyBytes(
            _("This chunk would take the upload to %(end)s bytes, more than the declared %(size)s bytes.")
            % {"end": offset + length, "size": upload.size},
            offset=upload.offset,
            size=upload.size,
        )


def write_chunk(upload: Upload, offset: int, read: streams.ReadFunc, length: int) -> Upload:
    """Append ``length`` bytes read from ``read`` at ``offset``; returns the upload with its new offset.

    A wrong offset raises ``WrongOffset`` (with the expected one); bytes past the declared size
    ``TooManyBytes``; both before any byte is read. The offset is checked again under the writer lock
    before the backend opens anything for writing, so a retried, duplicated or concurrent chunk never
    truncates or overwrites bytes already received. A client that stops early keeps what arrived.
    """
    _check_chunk(upload, offset, length)
    backend = upload.location.backend()

    def still_at_offset() -> None:
        """Under the writer lock, before the backend opens anything for writing: the stored state."""
        fresh = Upload.objects.filter(pk=upload.pk).values_list("offset", "state").first()
        if fresh is None:
            raise FileMissing(_("This upload no longer exists."))
        _check_chunk(Upload(pk=upload.pk, size=upload.size, offset=fresh[0], state=fresh[1]), offset, length)

    try:
        handle = backend.resume_upload(upload.path).writer(offset, lock=True, check=still_at_offset)
    except LockBusy:
        raise UploadBusy(
            _("Another request is writing to this upload; try again shortly."), offset=upload.offset
        )
    except BackendError:
        _abandon_upload(upload)
        raise FileMissing(_("The bytes of this upload were lost; please start the upload again."))
    try:
        digests = _resume_digests(upload, offset, backend)
        try:
            written = streams.copy_stream(read, handle, digests, limit=length, exact=True)
        except OSError as exc:
            _abandon_upload(upload)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                logger.warning(
                    "storage full: upload %s to %s refused: %s", upload.pk, upload.location.name, exc
                )
                raise StorageFull(
                    _("The server's storage is full; the upload was removed. Please try again later.")
                )
            raise
        new_offset = offset + written
        Upload.objects.filter(pk=upload.pk, offset=offset).update(offset=new_offset, updated=timezone.now())
        if not isinstance(digests, streams.NoDigests):
            streams.hashers.put(str(upload.pk), new_offset, digests)
    finally:
        handle.close()
    upload.offset = new_offset
    return upload


CATCH_UP_LIMIT = 64 * 1024 * 1024


def _resume_digests(
    upload: Upload, offset: int, backend: StorageBackend
) -> streams.Digests | streams.NoDigests:
    """The hash state to continue with at ``offset``: kept here, caught up over a small gap, or none.

    Chunks served by other processes leave gaps; up to ``CATCH_UP_LIMIT`` bytes are re-read here
    (from the page cache, usually) so that the state stays current. Beyond that, hashing waits for
    the finish, which re-reads what it lacks.
    """
    state = streams.hashers.take(str(upload.pk))
    at, digests = state if state is not None else (0, streams.Digests())
    if at > offset:
        return streams.NoDigests()
    if offset - at > CATCH_UP_LIMIT:
        if state is not None:
            streams.hashers.put(str(upload.pk), at, digests)  # the finish continues from here
        return streams.NoDigests()
    if at < offset:
        with backend.open_read(upload.path, at, offset - at) as source:
            try:
                streams.feed_file(source, digests, at, offset - at)
            finally:
                digests.close()
    return digests


def _abandon_upload(upload: Upload) -> None:
    """Remove an upload and its bytes now (a fault, a cancel, or expiry)."""
    streams.hashers.drop(str(upload.pk))
    Upload.objects.filter(pk=upload.pk).delete()
    delete_quietly(upload.location, upload.path)


def cancel_upload(upload: Upload, actor: Actor) -> None:
    with transaction.atomic():
        audit(
            actor,
            "cancel_upload",
            upload.bucket.subject,
            before={
                "upload": str(upload.pk),
                "key": upload.key,
                "offset": upload.offset,
                "size": upload.size,
            },
        )
        Upload.objects.filter(pk=upload.pk).delete()
        transaction.on_commit(lambda: delete_quietly(upload.location, upload.path))
    streams.hashers.drop(str(upload.pk))


def finish_upload(
    upload: Upload, actor: Actor, *, md5: str | None = None, sha256: str | None = None
) -> FileVersion:
    """Turn a complete upload into a staged version of its key (the previous staged one goes)."""
    md5 = _parse_checksum(md5, "md5", 32)
    sha256 = _parse_checksum(sha256, "sha256", 64)
    claimed = Upload.objects.filter(pk=upload.pk, state=UploadState.ACTIVE, offset=upload.size).update(
        state=UploadState.FINISHING, updated=timezone.now()
    )
    if not claimed:
        fresh = Upload.objects.filter(pk=upload.pk).first()
        if fresh is None:
            raise FileMissing(_("This upload no longer exists."))
        if fresh.state != UploadState.ACTIVE:
            raise UploadBusy(_("This upload is already being finished."), offset=fresh.offset)
        raise IncompleteUpload(
            _("The upload has %(offset)s of its %(size)s bytes; send the rest before finishing.")
            % {"offset": fresh.offset, "size": fresh.size},
            offset=fresh.offset,
            size=fresh.size,
        )
    backend = upload.location.backend()
    session = backend.resume_upload(upload.path)
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(session.hold())  # no chunk is being written while the bytes are read
        except LockBusy:
            Upload.objects.filter(pk=upload.pk).update(state=UploadState.ACTIVE)
            raise UploadBusy(_("Another request is still writing to this upload; try again shortly."))
        except BackendError:
            _abandon_upload(upload)
            raise FileMissing(_("The bytes of this upload were lost; please start the upload again."))
        try:
            if backend.size(upload.path) < upload.size:
                raise FileMissing(_("The bytes of this upload were lost; please start the upload again."))
            session.complete()
            state = streams.hashers.take(str(upload.pk))
            at, digests = state if state is not None and state[0] <= upload.size else (0, streams.Digests())
            with backend.open_read(upload.path, at, upload.size - at) as source:
                try:
                    streams.feed_file(source, digests, at, upload.size - at)  # nothing to read after one pass
                finally:
                    digests.close()
            found_md5, found_sha256 = digests.result()
            _compare_checksums(upload, md5, sha256, found_md5, found_sha256)
            return _commit_version(upload, actor, found_md5, found_sha256)
        except BaseException:
            if Upload.objects.filter(pk=upload.pk).exists():
                _abandon_upload(upload)
            raise


def _compare_checksums(
    upload: Upload, md5: str | None, sha256: str | None, found_md5: str, found_sha256: str
) -> None:
    for declared, found, name in ((md5, found_md5, "MD5"), (sha256, found_sha256, "SHA-256")):
        if declared and declared != found:
            logger.warning(
                "upload %s of %r refused: %s %s declared, %s received",
                upload.pk,
                upload.key,
                name,
                declared,
                found,
            )
            raise ChecksumMismatch(
                _(
                    "The %(algorithm)s of the received bytes is %(found)s, not the declared %(declared)s; "
                    "the upload was removed. Please upload the file again."
                )
                % {"algorithm": name, "found": found, "declared": declared},
                found=found,
            )


def _commit_version(upload: Upload, actor: Actor, md5: str, sha256: str) -> FileVersion:
    with transaction.atomic():
        bucket = lock_for_update(upload.bucket)
        require_unlocked(bucket)
        check_quota(bucket, upload.key, upload.size, exclude_upload=upload)
        file_key, _created = FileKey.objects.get_or_create(bucket=bucket, key=upload.key)
        replaced = None
        for old in FileVersion.objects.select_related("instance__location").filter(
            file=file_key, state=VersionState.STAGED
        ):
            replaced = {"md5": old.instance.md5, "size": old.instance.size}
            drop_staged(old)
        instance = FileInstance.objects.create(
            id=upload.pk,
            location=upload.location,
            path=upload.path,
            size=upload.size,
            md5=md5,
            sha256=sha256,
        )
        version = FileVersion.objects.create(
            file=file_key,
            instance=instance,
            mimetype=guess_mimetype(upload.key),
            created_by=recorded_user(actor),
        )
        track_new_instances([instance])
        if file_key.remove_staged:
            file_key.remove_staged = False
            file_key.save(update_fields=["remove_staged"])
        Upload.objects.filter(pk=upload.pk).delete()
        audit(
            actor,
            "store_file",
            bucket.subject,
            before={"key": upload.key, "staged": replaced} if replaced else None,
            after={"key": upload.key, "size": upload.size, "md5": md5, "sha256": sha256},
        )
    return version


def _as_reader(data: StreamSource) -> streams.ReadFunc:
    if callable(data):
        return data
    if isinstance(data, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(data)).read
    if hasattr(data, "read"):
        return data.read
    raise TypeError("store_stream needs bytes, a readable stream, or a read(n) callable")


def store_stream(
    bucket: Bucket,
    key: str,
    stream: StreamSource,
    actor: Actor,
    *,
    size: int | None = None,
    md5: str | None = None,
    sha256: str | None = None,
    allowance: Allowance | None = None,
) -> FileVersion:
    """Store a whole stream as a new staged version of ``key``, in one pass, in bounded memory.

    With a declared ``size`` the quota is checked before any byte is read, and a stream that is
    shorter or longer is refused. Without one, the stream is stopped as soon as it passes the quota.
    Nothing is visible until every byte is stored; on any failure the partial bytes are removed.
    """
    key = validate_key(key)
    read = _as_reader(stream)
    md5 = _parse_checksum(md5, "md5", 32)
    sha256 = _parse_checksum(sha256, "sha256", 64)
    if size is None:
        limits = usage(bucket)
        room = max(0, limits.max_bytes - limits.bytes + working_sizes(bucket).get(key, 0))
        upload = create_upload(bucket, key, 0, actor, allowance=allowance)
    else:
        room = size
        upload = create_upload(bucket, key, size, actor, allowance=allowance)
    session = upload.location.backend().resume_upload(upload.path)
    try:
        with session.writer(0, lock=True) as handle:
            digests = streams.Digests()
            try:
                written = streams.copy_stream(read, handle, digests, limit=room)
            except streams.TooManyBytes as exc:
                if size is None:
                    raise QuotaExceeded(
                        _(
                            "The upload was stopped: it passed the record's quota of %(limit)s (%(used)s in use)."
                        )
                        % {
                            "limit": format_size(bucket.limits[0]),
                            "used": format_size(usage(bucket, exclude_upload=upload).bytes),
                        },
                        limit=bucket.limits[0],
                    )
                raise TooManyBytes(
                    _("The stream has more than the declared %(size)s bytes (at least %(received)s).")
                    % {"size": size, "received": size + exc.received},
                    size=size,
                )
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    logger.warning("storage full: stream to %s refused: %s", upload.location.name, exc)
                    raise StorageFull(
                        _("The server's storage is full; the upload was removed. Please try again later.")
                    )
                raise
            if size is not None and written < size:
                raise IncompleteUpload(
                    _("Only %(written)s of the declared %(size)s bytes arrived; nothing was stored.")
                    % {"written": written, "size": size},
                    offset=written,
                    size=size,
                )
            session.complete()
            found_md5, found_sha256 = digests.result()
        _compare_checksums(upload, md5, sha256, found_md5, found_sha256)
        Upload.objects.filter(pk=upload.pk).update(size=written, offset=written, state=UploadState.FINISHING)
        upload.size = upload.offset = written
        return _commit_version(upload, actor, found_md5, found_sha256)
    except BaseException:
        if Upload.objects.filter(pk=upload.pk).exists():
            _abandon_upload(upload)
        raise


def store_bytes(bucket: Bucket, key: str, data_or_stream: StreamSource, actor: Actor) -> FileVersion:
    """Convenience for commands and seeding: bytes (size known) or a stream."""
    size = len(data_or_stream) if isinstance(data_or_stream, bytes | bytearray) else None
    return store_stream(bucket, key, data_or_stream, actor, size=size)


def remove_stale_uploads(now: dt.datetime | None = None, max_age: dt.timedelta = STALE_UPLOAD_AGE) -> int:
    """Remove unfinished uploads untouched for ``max_age`` (default 24 h), with their bytes."""
    cutoff = (now or timezone.now()) - max_age
    removed = 0
    for upload in Upload.objects.select_related("location", "bucket").filter(updated__lt=cutoff):
        backend = upload.location.backend()
        with contextlib.ExitStack() as held:
            try:
                held.enter_context(backend.resume_upload(upload.path).hold())
            except LockBusy:
                continue  # a request is still writing to it
            except (OSError, BackendError):
                pass  # the bytes are gone already: drop the row
            with transaction.atomic():
                if not Upload.objects.filter(pk=upload.pk, updated__lt=cutoff).delete()[0]:
                    continue
                audit(
                    None,
                    "expire_upload",
                    upload.bucket.subject,
                    before={
                        "upload": str(upload.pk),
                        "key": upload.key,
                        "offset": upload.offset,
                        "size": upload.size,
                    },
                )
            streams.hashers.drop(str(upload.pk))
            delete_quietly(upload.location, upload.path)
            removed += 1
    return removed


def chunk_size() -> int:
    """Bytes per chunk for the browser uploader (``STORAGE_UPLOAD_CHUNK_BYTES``, default 8 MiB)."""
    return int(getattr(settings, "STORAGE_UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024))
