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
from storage.backends import BackendError, BackendUnavailable, LockBusy
from storage.models import Bucket, FileInstance, FileKey, FileVersion, Upload, UploadState, VersionState
from storage.services.actors import recorded_user
from storage.services.errors import (
    ChecksumMismatch,
    FileMissing,
    IncompleteUpload,
    QuotaExceeded,
    StorageError,
    StorageFull,
    StorageUnavailable,
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
    try:
        session = location.backend().begin_upload(upload.path)
    except BackendError as exc:
        _abandon_upload(upload)
        raise _unavailable(upload, exc)
    if session.state:
        Upload.objects.filter(pk=upload.pk).update(backend_state=session.state)
        upload.backend_state = session.state
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
    saved: list[bytes | None] = [None]
    session = backend.resume_upload(upload.path)

    def still_at_offset() -> None:
        """Under the writer lock, before the backend opens anything for writing: the stored state."""
        fresh = (
            Upload.objects.filter(pk=upload.pk)
            .values_list("offset", "state", "hash_state", "backend_state")
            .first()
        )
        if fresh is None:
            raise FileMissing(_("This upload no longer exists."))
        _check_chunk(Upload(pk=upload.pk, size=upload.size, offset=fresh[0], state=fresh[1]), offset, length)
        saved[0] = None if fresh[2] is None else bytes(fresh[2])
        session.state = fresh[3]

    try:
        handle = session.writer(offset, lock=True, check=still_at_offset)
    except LockBusy:
        raise UploadBusy(
            _("Another request is writing to this upload; try again shortly."), offset=upload.offset
        )
    except BackendUnavailable as exc:  # the upload stays: the client sends the chunk again later
        raise _unavailable(upload, exc, kept=True)
    except BackendError:
        _abandon_upload(upload)
        raise FileMissing(_("The bytes of this upload were lost; please start the upload again."))
    try:
        # The hash state the previous chunk left in the row (whichever process served it): MD5 and
        # SHA-256 continue from it. Without one (no resumable hashes here) the finish reads back.
        resumed = streams.Digests.resumable(saved[0], offset)
        digests: streams.Digests | streams.NoDigests = streams.NoDigests() if resumed is None else resumed
        try:
            written = streams.copy_stream(read, handle, digests, limit=length, exact=True)
            handle.flush()  # S3: the last part or the held tail is sent here; only then do the bytes count
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
        except BackendUnavailable as exc:
            raise _unavailable(upload, exc, kept=True)
        except BackendError:
            _abandon_upload(upload)
            raise FileMissing(_("The bytes of this upload were lost; please start the upload again."))
        new_offset = offset + written
        state = resumed.saved_state(new_offset) if resumed is not None else None
        Upload.objects.filter(pk=upload.pk, offset=offset).update(
            offset=new_offset, hash_state=state, backend_state=session.state, updated=timezone.now()
        )
    finally:
        handle.close()
    upload.offset = new_offset
    return upload


def _unavailable(upload: Upload, exc: Exception, *, kept: bool = False) -> StorageUnavailable:
    """The 503 of an upload whose storage service cannot be reached (or failed while storing)."""
    logger.warning(
        "storage unavailable: upload %s to %s %s: %s",
        upload.pk,
        upload.location.name,
        "kept at its offset" if kept else "removed",
        exc,
    )
    if kept:
        return StorageUnavailable(
            _(
                "The storage service cannot be reached; this chunk was not stored. Please send it again later."
            ),
            offset=upload.offset,
        )
    return StorageUnavailable(
        _("The storage service cannot be reached; nothing was stored. Please try again later.")
    )


def _abandon_upload(upload: Upload) -> None:
    """Remove an upload and its bytes now (a fault, a cancel, or expiry)."""
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
    noted = Upload.objects.filter(pk=upload.pk).values_list("backend_state", flat=True).first()
    session = backend.resume_upload(upload.path, noted or "")
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
            session.complete(upload.size)  # S3: the held tail becomes the last part, the object appears
            stored = backend.size(upload.path)
        except BackendUnavailable as exc:  # the upload stays: finishing again later may work
            Upload.objects.filter(pk=upload.pk).update(state=UploadState.ACTIVE)
            raise _unavailable(upload, exc, kept=True)
        except BackendError:
            _abandon_upload(upload)
            raise FileMissing(_("The bytes of this upload were lost; please start the upload again."))
        try:
            if stored < upload.size:
                raise FileMissing(_("The bytes of this upload were lost; please start the upload again."))
            saved = Upload.objects.filter(pk=upload.pk).values_list("hash_state", flat=True).first()
            digests = streams.Digests.resumable(None if saved is None else bytes(saved), upload.size)
            if digests is None:  # no saved state: read the bytes back once
                digests = streams.Digests()
                with backend.open_read(upload.path, 0, upload.size) as source:
                    try:
                        streams.feed_file(source, digests, 0, upload.size)
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
    session = upload.location.backend().resume_upload(upload.path, upload.backend_state)
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
            handle.flush()
            found_md5, found_sha256 = digests.result()
        session.complete(written)
        _compare_checksums(upload, md5, sha256, found_md5, found_sha256)
        Upload.objects.filter(pk=upload.pk).update(size=written, offset=written, state=UploadState.FINISHING)
        upload.size = upload.offset = written
        return _commit_version(upload, actor, found_md5, found_sha256)
    except BackendError as exc:
        if Upload.objects.filter(pk=upload.pk).exists():
            _abandon_upload(upload)
        raise _unavailable(upload, exc)
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
            delete_quietly(upload.location, upload.path)
            removed += 1
    return removed


def chunk_size() -> int:
    """Bytes per chunk for the browser uploader (``STORAGE_UPLOAD_CHUNK_BYTES``, default 8 MiB)."""
    return int(getattr(settings, "STORAGE_UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024))
