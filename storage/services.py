"""Storage verbs (INTERFACES.md): ``store_stream``, ``replicate``, ``verify``, ``repair``; the upload
protocol (``create_upload``, ``write_chunk``, ``finish_upload``, ``cancel_upload``); file changes of
drafts and edit drafts (``remove_file``, ``restore_file``); the record hooks ``on_publish``,
``on_discard`` and ``on_delete_draft``; quotas (``set_quota``); and read helpers for pages, APIs
and exports (``current_files``, ``working_files``, ``published_files``, ``find_version``).

Bytes are written straight to the final path of their future ``FileInstance``; its row, and the
``FileVersion`` that makes it visible, are created only once every byte is on disk and hashed.
"""

from __future__ import annotations

import datetime as dt
import errno
import mimetypes
import os
import posixpath
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit
from storage import streams
from storage.backends import BackendError, LockBusy
from storage.models import (
    FileInstance,
    FileReplica,
    FileVersion,
    Location,
    RecordFile,
    RecordQuota,
    Upload,
    UploadState,
    VersionState,
)
from storage.sizes import format_size

MAX_KEY_BYTES = 1024
MAX_NAME_BYTES = 255
STALE_UPLOAD_AGE = dt.timedelta(hours=24)


# --- Errors -----------------------------------------------------------------------------------------


class StorageError(Exception):
    """A request the rules or the record's state do not allow; ``message`` says why."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, **details: Any):
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self) -> dict:
        return {"message": self.message, "code": self.code, **self.details}


class InvalidKey(StorageError):
    code = "invalid_key"


class NotEditable(StorageError):
    status = 409
    code = "not_editable"


class QuotaExceeded(StorageError):
    status = 413
    code = "quota_exceeded"


class WrongOffset(StorageError):
    status = 409
    code = "wrong_offset"


class TooManyBytes(StorageError):
    status = 400
    code = "too_many_bytes"


class IncompleteUpload(StorageError):
    status = 409
    code = "incomplete"


class UploadBusy(StorageError):
    status = 409
    code = "busy"


class ChecksumMismatch(StorageError):
    status = 400
    code = "checksum_mismatch"


class StorageFull(StorageError):
    status = 507
    code = "storage_full"


class FileMissing(StorageError):
    status = 404
    code = "not_found"


# --- File names ---------------------------------------------------------------------------------------


BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_key(key: str) -> str:
    """The NFC form of ``key``, or ``InvalidKey`` naming the rule it breaks."""
    if not isinstance(key, str):
        raise InvalidKey(_("The file name must be text."))
    key = unicodedata.normalize("NFC", key)
    if key == "":
        raise InvalidKey(_("A file name is required."))
    for position, char in enumerate(key):
        # Cc: C0/C1 controls incl. NUL. The bidirectional overrides and isolates (U+202A–E, U+2066–9)
        # are formatting controls that can disguise a name's extension ("txt.exe" shown as "exe.txt").
        if unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS:
            raise InvalidKey(
                _(
                    "File names may not contain NUL or control characters "
                    "(found U+%(code)04X at position %(position)s)."
                )
                % {"code": ord(char), "position": position + 1}
            )
    if key.startswith("/") or key.startswith("\\") or (len(key) > 1 and key[1] == ":" and key[0].isalpha()):
        raise InvalidKey(
            _("Absolute paths are not allowed: start the name with a file or folder name, not “/”.")
        )
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidKey(
            _(
                "The full name with its folders is %(size)s bytes long; at most %(limit)s bytes (UTF-8) are allowed."
            )
            % {"size": len(key.encode("utf-8")), "limit": MAX_KEY_BYTES}
        )
    for segment in key.split("/"):
        # "..\\" too: archive tools on Windows read backslashes as folder separators (zip slip).
        if segment == ".." or ".." in segment.split("\\"):
            raise InvalidKey(_("“..” segments are not allowed in file names."))
        if segment in ("", "."):
            raise InvalidKey(
                _("Empty folder names and “.” segments are not allowed (check for “//” or a trailing “/”).")
            )
        if len(segment.encode("utf-8")) > MAX_NAME_BYTES:
            raise InvalidKey(
                _(
                    "The name “%(name)s…” is %(size)s bytes long; names may be at most %(limit)s bytes (UTF-8)."
                )
                % {"name": segment[:40], "size": len(segment.encode("utf-8")), "limit": MAX_NAME_BYTES}
            )
    return key


def guess_mimetype(key: str) -> str:
    return mimetypes.guess_type(posixpath.basename(key), strict=False)[0] or "application/octet-stream"


# --- Locations ----------------------------------------------------------------------------------------


def sync_locations() -> list[Location]:
    """Make the Location rows match ``STORAGE_LOCATIONS`` (the first is primary)."""
    configured = list(settings.STORAGE_LOCATIONS)
    rows = {loc.name: loc for loc in Location.objects.all()}
    wanted = {name: (url, index == 0) for index, (name, url) in enumerate(configured)}
    if all(
        name in rows and rows[name].url == url and rows[name].is_primary == primary and rows[name].active
        for name, (url, primary) in wanted.items()
    ) and all(not loc.active for name, loc in rows.items() if name not in wanted):
        return [rows[name] for name in wanted]
    with transaction.atomic():
        Location.objects.exclude(name__in=wanted).update(active=False, is_primary=False)
        Location.objects.filter(is_primary=True).exclude(name=configured[0][0]).update(is_primary=False)
        result = []
        for name, (url, primary) in wanted.items():
            loc, _created = Location.objects.update_or_create(
                name=name, defaults={"url": url, "is_primary": primary, "active": True}
            )
            result.append(loc)
    return result


def primary_location() -> Location:
    location = sync_locations()[0]
    if not location.backend().supports_partial_writes:
        raise BackendError(
            f"the primary storage location {location.name!r} must be a file:// location: uploads write at offsets"
        )
    return location


# --- Limits and the working set ------------------------------------------------------------------------


def files_editable(record) -> bool:
    """Files change only in a draft or in the edit draft of a published record."""
    if record.is_draft():
        return True
    has_edit = getattr(record, "has_edit_draft", None)
    return bool(record.is_published() and callable(has_edit) and has_edit())


def _require_editable(record) -> None:
    if not files_editable(record):
        if record.is_published():
            raise NotEditable(_("Open the record for editing before changing its files."))
        raise NotEditable(_("The files of this record can no longer be changed."))


def record_limits(record) -> tuple[int, int]:
    """(maximum bytes, maximum number of files) for ``record``."""
    quota = RecordQuota.objects.filter(record=record).first()
    if quota is not None:
        return quota.max_bytes, quota.max_files
    return settings.RECORD_QUOTA_BYTES, settings.RECORD_MAX_FILES


def _files_with_versions(record):
    versions = FileVersion.objects.select_related("instance", "created_by")
    return RecordFile.objects.filter(record=record).prefetch_related(Prefetch("versions", queryset=versions))


def _latest_published(record_file: RecordFile) -> FileVersion | None:
    published = [v for v in record_file.versions.all() if v.state == VersionState.PUBLISHED]
    return max(published, key=lambda v: v.number, default=None)


def _staged(record_file: RecordFile) -> FileVersion | None:
    return next((v for v in record_file.versions.all() if v.state == VersionState.STAGED), None)


@dataclass
class WorkingFile:
    """A key as the owner sees it while editing: what the next published state will hold."""

    file: RecordFile
    version: FileVersion | None  # None when the key's removal is staged
    current: FileVersion | None  # the published version, if any
    status: str  # "new", "replaced", "unchanged", "removed"
    history: list[FileVersion] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.file.key


def working_files(record) -> list[WorkingFile]:
    """Every key of a draft or edit draft: staged, unchanged and staged-for-removal ones."""
    result = []
    for record_file in _files_with_versions(record):
        current = None if record_file.removed else _latest_published(record_file)
        staged = _staged(record_file)
        history = sorted(
            (v for v in record_file.versions.all() if v.state == VersionState.PUBLISHED),
            key=lambda v: v.number,
            reverse=True,
        )
        if record_file.remove_staged:
            if current is not None:
                result.append(WorkingFile(record_file, None, current, "removed", history))
            continue
        if staged is not None:
            status = "replaced" if current is not None else "new"
            result.append(WorkingFile(record_file, staged, current, status, history))
        elif current is not None:
            result.append(WorkingFile(record_file, current, current, "unchanged", history))
    return result


@dataclass
class Usage:
    bytes: int
    files: int
    max_bytes: int
    max_files: int


def _working_sizes(record) -> dict[str, int]:
    return {wf.key: wf.version.size for wf in working_files(record) if wf.version is not None}


def usage(record, *, exclude_upload=None, working: dict[str, int] | None = None) -> Usage:
    """Bytes and files of the working set plus unfinished uploads (their declared sizes)."""
    max_bytes, max_files = record_limits(record)
    working = _working_sizes(record) if working is None else working
    uploads = Upload.objects.filter(record=record)
    if exclude_upload is not None:
        uploads = uploads.exclude(pk=exclude_upload.pk)
    pending = list(uploads.values_list("key", "size"))
    total = sum(working.values()) + sum(size for _key, size in pending)
    keys = set(working) | {key for key, _size in pending}
    return Usage(total, len(keys), max_bytes, max_files)


def check_quota(record, key: str, size: int, *, exclude_upload=None) -> None:
    """Refuse an upload of ``size`` bytes to ``key`` that would pass the record's limits."""
    working = _working_sizes(record)
    current = usage(record, exclude_upload=exclude_upload, working=working)
    replaced = working.get(key, 0)
    after = current.bytes - replaced + size
    if after > current.max_bytes:
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
    uploads = Upload.objects.filter(record=record, key=key)
    if exclude_upload is not None:
        uploads = uploads.exclude(pk=exclude_upload.pk)
    is_new = key not in working and not uploads.exists()
    if is_new and current.files + 1 > current.max_files:
        raise QuotaExceeded(
            _(
                "This record already has %(count)s files; the limit is %(limit)s. Ask the staff for a higher limit."
            )
            % {"count": current.files, "limit": current.max_files},
            limit_files=current.max_files,
            files=current.files,
        )


def set_quota(actor, record, *, max_bytes: int, max_files: int, reason: str = "") -> RecordQuota:
    """Staff raise (or set) one record's limits."""
    if max_bytes < 0 or max_files < 1:
        raise StorageError(_("A quota needs at least 0 bytes and at least 1 file."))
    with transaction.atomic():
        before = dict(zip(("max_bytes", "max_files"), record_limits(record), strict=True))
        quota, _created = RecordQuota.objects.update_or_create(
            record=record,
            defaults={
                "max_bytes": max_bytes,
                "max_files": max_files,
                "reason": reason,
                "granted_by": actor if getattr(actor, "is_authenticated", False) else None,
                "updated": timezone.now(),
            },
        )
        audit(actor, "set_quota", record, before=before, after={"max_bytes": max_bytes, "max_files": max_files},
              reason=reason)  # fmt: skip
    return quota


# --- Read helpers ---------------------------------------------------------------------------------------


def download_url(record_id: int, key: str, version: int | str | None = None) -> str:
    url = reverse("storage:download", args=[record_id, key])
    return f"{url}?version={version}" if version is not None else url


def published_files(record) -> list[tuple[RecordFile, FileVersion, list[FileVersion]]]:
    """(key, current version, all published versions newest first) of the record's published state."""
    result = []
    for record_file in _files_with_versions(record):
        if record_file.removed:
            continue
        history = sorted(
            (v for v in record_file.versions.all() if v.state == VersionState.PUBLISHED),
            key=lambda v: v.number,
            reverse=True,
        )
        if history:
            result.append((record_file, history[0], history))
    return result


def current_files(record) -> list[dict]:
    """The current published files: key, size, md5, sha256 (prefixed), mimetype, version, created, url."""
    return [
        {
            "key": record_file.key,
            "size": version.instance.size,
            "md5": version.instance.md5,
            "sha256": version.instance.sha256,
            "mimetype": version.mimetype,
            "version": version.number,
            "created": version.published_at or version.created,
            "url": download_url(record.pk, record_file.key),
        }
        for record_file, version, _history in published_files(record)
    ]


def find_version(record, key: str, version: str | None, *, privileged: bool) -> FileVersion:
    """The version a download asks for; ``FileMissing`` if there is none the caller may see.

    ``version`` is None (the current published one; for owners of an unpublished key the staged
    one), a number, or "draft" (the staged one, owners and staff only).
    """
    try:
        key = validate_key(key)
    except InvalidKey:
        raise FileMissing(_("There is no file “%(key)s” in this record.") % {"key": key})
    record_file = _files_with_versions(record).filter(key=key).first()
    if record_file is None:
        raise FileMissing(_("There is no file “%(key)s” in this record.") % {"key": key})
    versions = list(record_file.versions.all())
    if version in (None, ""):
        if not record_file.removed:
            current = _latest_published(record_file)
            if current is not None:
                return current
        if privileged and (staged := _staged(record_file)) is not None:
            return staged
        raise FileMissing(_("There is no file “%(key)s” in this record.") % {"key": key})
    if version == "draft":
        staged = _staged(record_file) if privileged else None
        if staged is None:
            raise FileMissing(_("There is no staged version of “%(key)s”.") % {"key": key})
        return staged
    try:
        number = int(version)
    except (TypeError, ValueError):
        raise FileMissing(_("“%(version)s” is not a version number.") % {"version": version})
    for candidate in versions:
        if candidate.number == number and candidate.state == VersionState.PUBLISHED:
            if record_file.removed and not privileged:
                break
            return candidate
    raise FileMissing(_("Version %(number)s of “%(key)s” does not exist.") % {"number": number, "key": key})


# --- Uploads --------------------------------------------------------------------------------------------


def _bytes_gone_on_commit(location: Location, path: str) -> None:
    transaction.on_commit(lambda: _delete_quietly(location, path))


def _delete_quietly(location: Location, path: str) -> None:
    try:
        location.backend().delete(path)
    except (OSError, BackendError):
        pass  # a leftover file is harmless: no row points at it


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


def create_upload(record, key: str, size: int, actor) -> Upload:
    """Start an upload of ``size`` bytes to ``key``: checks name, state and quota before any byte."""
    key = validate_key(key)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise StorageError(_("The size must be a whole number of bytes (0 or more)."))
    location = primary_location()
    with transaction.atomic():
        record = _lock_record(record)
        _require_editable(record)
        check_quota(record, key, size)
        upload_id = uuid.uuid4()
        upload = Upload.objects.create(
            id=upload_id,
            record=record,
            key=key,
            size=size,
            location=location,
            path=FileInstance.path_for(upload_id),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit(actor, "start_upload", record, after={"upload": str(upload.id), "key": key, "size": size})
    handle = location.backend().open_write(upload.path, 0)
    handle.close()
    return upload


def _lock_record(record):
    return type(record).objects.select_for_update().get(pk=record.pk)


def write_chunk(upload: Upload, offset: int, read: Callable[[int], bytes], length: int) -> Upload:
    """Append ``length`` bytes read from ``read`` at ``offset``; returns the upload with its new offset.

    A wrong offset raises ``WrongOffset`` (with the expected one); bytes past the declared size
    ``TooManyBytes``; both before any byte is read. A client that stops early keeps what arrived.
    """
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
    backend = upload.location.backend()
    try:
        handle = backend.open_write(upload.path, offset, lock=True)
    except LockBusy:
        raise UploadBusy(
            _("Another request is writing to this upload; try again shortly."), offset=upload.offset
        )
    except BackendError:
        _abandon_upload(upload)
        raise FileMissing(_("The bytes of this upload were lost; please start the upload again."))
    try:
        fresh = Upload.objects.filter(pk=upload.pk).values_list("offset", "state").first()
        if fresh is None:
            raise FileMissing(_("This upload no longer exists."))
        if fresh != (offset, UploadState.ACTIVE):
            raise WrongOffset(
                _("The chunk starts at byte %(given)s but the upload continues at byte %(expected)s.")
                % {"given": offset, "expected": fresh[0]},
                offset=fresh[0],
            )
        digests = _resume_digests(upload, offset, backend)
        try:
            written = streams.copy_stream(read, handle, digests, limit=length, exact=True)
        except OSError as exc:
            _abandon_upload(upload)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
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


def _resume_digests(upload: Upload, offset: int, backend) -> streams.Digests | streams.NoDigests:
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
        with backend.open_read(upload.path) as source:
            try:
                streams.feed_file(source, digests, at, offset - at)
            finally:
                digests.close()
    return digests


def _abandon_upload(upload: Upload) -> None:
    """Remove an upload and its bytes now (a fault, a cancel, or expiry)."""
    streams.hashers.drop(str(upload.pk))
    Upload.objects.filter(pk=upload.pk).delete()
    _delete_quietly(upload.location, upload.path)


def cancel_upload(upload: Upload, actor) -> None:
    with transaction.atomic():
        audit(actor, "cancel_upload", upload.record, before={"upload": str(upload.pk), "key": upload.key,
              "offset": upload.offset, "size": upload.size})  # fmt: skip
        Upload.objects.filter(pk=upload.pk).delete()
        transaction.on_commit(lambda: _delete_quietly(upload.location, upload.path))
    streams.hashers.drop(str(upload.pk))


def finish_upload(upload: Upload, actor, *, md5: str | None = None, sha256: str | None = None) -> FileVersion:
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
    try:
        handle = backend.open_write(upload.path, upload.size, lock=True)
    except LockBusy:
        Upload.objects.filter(pk=upload.pk).update(state=UploadState.ACTIVE)
        raise UploadBusy(_("Another request is still writing to this upload; try again shortly."))
    try:
        os.fsync(handle.fileno())
        state = streams.hashers.take(str(upload.pk))
        at, digests = state if state is not None and state[0] <= upload.size else (0, streams.Digests())
        with backend.open_read(upload.path) as source:
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
    finally:
        handle.close()


def _compare_checksums(upload, md5, sha256, found_md5, found_sha256) -> None:
    for declared, found, name in ((md5, found_md5, "MD5"), (sha256, found_sha256, "SHA-256")):
        if declared and declared != found:
            raise ChecksumMismatch(
                _(
                    "The %(algorithm)s of the received bytes is %(found)s, not the declared %(declared)s; "
                    "the upload was removed. Please upload the file again."
                )
                % {"algorithm": name, "found": found, "declared": declared},
                found=found,
            )


def _commit_version(upload: Upload, actor, md5: str, sha256: str) -> FileVersion:
    with transaction.atomic():
        record = _lock_record(upload.record)
        _require_editable(record)
        check_quota(record, upload.key, upload.size, exclude_upload=upload)
        record_file, _created = RecordFile.objects.get_or_create(record=record, key=upload.key)
        replaced = None
        for old in FileVersion.objects.select_related("instance__location").filter(
            file=record_file, state=VersionState.STAGED
        ):
            replaced = {"md5": old.instance.md5, "size": old.instance.size}
            _drop_staged(old)
        instance = FileInstance.objects.create(
            id=upload.pk,
            location=upload.location,
            path=upload.path,
            size=upload.size,
            md5=md5,
            sha256=sha256,
        )
        version = FileVersion.objects.create(
            file=record_file,
            instance=instance,
            mimetype=guess_mimetype(upload.key),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if record_file.remove_staged:
            record_file.remove_staged = False
            record_file.save(update_fields=["remove_staged"])
        Upload.objects.filter(pk=upload.pk).delete()
        audit(actor, "store_file", record, before={"key": upload.key, "staged": replaced} if replaced else None,
              after={"key": upload.key, "size": upload.size, "md5": md5, "sha256": sha256})  # fmt: skip
    return version


def _drop_staged(version: FileVersion) -> None:
    """Delete an unpublished version and, after commit, its bytes (published ones are never deleted)."""
    assert version.state == VersionState.STAGED
    instance = version.instance
    version.delete()
    if not instance.versions.exists():
        location, path = instance.location, instance.path
        instance.delete()
        _bytes_gone_on_commit(location, path)


def _as_reader(data: Any) -> Callable[[int], bytes]:
    if callable(data):
        return data
    if isinstance(data, bytes | bytearray | memoryview):
        import io

        return io.BytesIO(bytes(data)).read
    if hasattr(data, "read"):
        return data.read
    raise TypeError("store_stream needs bytes, a readable stream, or a read(n) callable")


def store_stream(
    record,
    key: str,
    stream: BinaryIO | Callable[[int], bytes] | bytes,
    actor,
    *,
    size: int | None = None,
    md5: str | None = None,
    sha256: str | None = None,
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
        limits = usage(record)
        room = max(0, limits.max_bytes - limits.bytes + _working_size(record, key))
        upload = create_upload(record, key, 0, actor)
    else:
        room = size
        upload = create_upload(record, key, size, actor)
    backend = upload.location.backend()
    try:
        with backend.open_write(upload.path, 0, lock=True) as handle:
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
                            "limit": format_size(record_limits(record)[0]),
                            "used": format_size(usage(record, exclude_upload=upload).bytes),
                        },  # fmt: skip
                        limit=record_limits(record)[0],
                    )
                raise TooManyBytes(
                    _("The stream has more than the declared %(size)s bytes (at least %(received)s).")
                    % {"size": size, "received": size + exc.received},
                    size=size,
                )
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
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
            os.fsync(handle.fileno())
            found_md5, found_sha256 = digests.result()
        _compare_checksums(upload, md5, sha256, found_md5, found_sha256)
        Upload.objects.filter(pk=upload.pk).update(size=written, offset=written, state=UploadState.FINISHING)
        upload.size = upload.offset = written
        return _commit_version(upload, actor, found_md5, found_sha256)
    except BaseException:
        if Upload.objects.filter(pk=upload.pk).exists():
            _abandon_upload(upload)
        raise


def _working_size(record, key: str) -> int:
    return _working_sizes(record).get(key, 0)


def store_bytes(record, key: str, data_or_stream: Any, actor) -> FileVersion:
    """Convenience for commands and seeding: bytes (size known) or a stream."""
    size = len(data_or_stream) if isinstance(data_or_stream, bytes | bytearray) else None
    return store_stream(record, key, data_or_stream, actor, size=size)


def seed_files(records, files_per_record: int, actor) -> int:
    """Bulk path for ``seed_demo``: give published records demo files as version 1.

    Writes the bytes and the same rows (instance with MD5 and SHA-256, key, published version,
    audit entries) as uploading to a draft and publishing, in bulk. Records that already have files
    are left alone. Returns the number of files stored.
    """
    import hashlib

    from audit.models import AuditEntry
    from records.demo import demo_file

    location = primary_location()
    backend = location.backend()
    owner = actor if getattr(actor, "is_authenticated", False) else None
    have_files = set(RecordFile.objects.filter(record__in=records).values_list("record_id", flat=True))
    instances, record_files, versions, entries = [], [], [], []
    for record in records:
        if record.pk in have_files:
            continue
        stamp = record.published_at or timezone.now()
        for number in range(files_per_record):
            key, data = demo_file(record.pk, number)
            instance_id = uuid.uuid4()
            path = FileInstance.path_for(instance_id)
            with backend.open_write(path, 0) as handle:
                handle.write(data)
            md5 = "md5:" + hashlib.md5(data, usedforsecurity=False).hexdigest()
            sha256 = "sha256:" + hashlib.sha256(data).hexdigest()
            instance = FileInstance(id=instance_id, location=location, path=path, size=len(data), md5=md5,
                                    sha256=sha256, created=stamp)  # fmt: skip
            record_file = RecordFile(record=record, key=key, created=stamp)
            instances.append(instance)
            record_files.append(record_file)
            versions.append(
                FileVersion(file=record_file, instance=instance, number=1, state=VersionState.PUBLISHED,
                            mimetype=guess_mimetype(key), created=stamp, created_by=owner, published_at=stamp)
            )  # fmt: skip
            entries.append(
                AuditEntry(actor=owner, verb="store_file", object_type="records.record", object_id=str(record.pk),
                           object_repr=str(record)[:255],
                           after={"key": key, "size": len(data), "md5": md5, "sha256": sha256})
            )  # fmt: skip
    with transaction.atomic():
        FileInstance.objects.bulk_create(instances, batch_size=2000)
        RecordFile.objects.bulk_create(record_files, batch_size=2000)
        for version in versions:
            version.file_id = version.file.pk
        FileVersion.objects.bulk_create(versions, batch_size=2000)
        AuditEntry.objects.bulk_create(entries, batch_size=2000)
    return len(versions)


# --- File changes of a draft or edit draft ----------------------------------------------------------------


def remove_file(record, key: str, actor) -> None:
    """Remove ``key`` from the next published state; published versions stay stored."""
    key = validate_key(key)
    with transaction.atomic():
        record = _lock_record(record)
        _require_editable(record)
        record_file = RecordFile.objects.select_for_update().filter(record=record, key=key).first()
        if record_file is None or record_file.remove_staged:
            raise FileMissing(_("There is no file “%(key)s” in this record.") % {"key": key})
        staged = list(FileVersion.objects.select_related("instance__location").filter(
            file=record_file, state=VersionState.STAGED))  # fmt: skip
        for version in staged:
            _drop_staged(version)
        published = FileVersion.objects.filter(file=record_file, state=VersionState.PUBLISHED).exists()
        if published and not record_file.removed:
            record_file.remove_staged = True
            record_file.save(update_fields=["remove_staged"])
        elif not published:
            record_file.delete()
        audit(actor, "remove_file", record, before={"key": key, "staged_versions": len(staged)})


def restore_file(record, key: str, actor) -> None:
    """Undo a staged removal."""
    key = validate_key(key)
    with transaction.atomic():
        record = _lock_record(record)
        _require_editable(record)
        updated = RecordFile.objects.filter(record=record, key=key, remove_staged=True).update(
            remove_staged=False
        )
        if not updated:
            raise FileMissing(_("“%(key)s” is not marked for removal.") % {"key": key})
        audit(actor, "restore_file", record, after={"key": key})


# --- Record hooks (called inside the records verbs' transactions) -----------------------------------------


def on_publish(record, actor) -> None:
    """Staged versions become current (numbered); staged removals hide their keys. Then replicate."""
    now = timezone.now()
    published, removed, instances = [], [], []
    for record_file in RecordFile.objects.select_for_update().filter(record=record):
        if record_file.remove_staged:
            record_file.removed = True
            record_file.remove_staged = False
            record_file.save(update_fields=["removed", "remove_staged"])
            removed.append(record_file.key)
            continue
        staged = FileVersion.objects.select_related("instance").filter(
            file=record_file, state=VersionState.STAGED
        )
        for version in staged:
            last = record_file.versions.aggregate(n=Max("number"))["n"] or 0
            version.number = last + 1
            version.state = VersionState.PUBLISHED
            version.published_at = now
            version.save(update_fields=["number", "state", "published_at"])
            published.append({"key": record_file.key, "version": version.number, "md5": version.instance.md5})
            instances.append(str(version.instance_id))
            if record_file.removed:
                record_file.removed = False
                record_file.save(update_fields=["removed"])
    _drop_uploads(record)
    if published or removed:
        audit(actor, "publish_files", record, after={"published": published, "removed": removed})
    if instances and len(settings.STORAGE_LOCATIONS) > 1:
        from storage import tasks

        for instance_id in instances:
            transaction.on_commit(lambda i=instance_id: tasks.replicate_instance.delay(i))


def on_discard(record, actor) -> None:
    """Drop staged versions and staged removals of an edit draft; published versions stay."""
    dropped = []
    for record_file in RecordFile.objects.select_for_update().filter(record=record):
        staged = FileVersion.objects.select_related("instance__location").filter(
            file=record_file, state=VersionState.STAGED
        )
        for version in staged:
            dropped.append(record_file.key)
            _drop_staged(version)
        if record_file.remove_staged:
            record_file.remove_staged = False
            record_file.save(update_fields=["remove_staged"])
        if not record_file.versions.exists():
            record_file.delete()
    _drop_uploads(record)
    if dropped:
        audit(actor, "discard_files", record, before={"staged": dropped})


def on_delete_draft(record, actor) -> None:
    """A never-published draft is deleted: its staged bytes go too."""
    for version in FileVersion.objects.select_related("instance__location").filter(file__record=record):
        if version.state == VersionState.STAGED:
            _drop_staged(version)
    _drop_uploads(record)


def _drop_uploads(record) -> None:
    for upload in Upload.objects.select_related("location").filter(record=record):
        upload.delete()
        _bytes_gone_on_commit(upload.location, upload.path)


def remove_stale_uploads(now: dt.datetime | None = None, max_age: dt.timedelta = STALE_UPLOAD_AGE) -> int:
    """Remove unfinished uploads untouched for ``max_age`` (default 24 h), with their bytes."""
    cutoff = (now or timezone.now()) - max_age
    removed = 0
    for upload in Upload.objects.select_related("location", "record").filter(updated__lt=cutoff):
        backend = upload.location.backend()
        try:
            handle = backend.open_write(upload.path, upload.offset, lock=True)
        except LockBusy:
            continue  # a request is still writing to it
        except (OSError, BackendError):
            handle = None
        try:
            with transaction.atomic():
                if not Upload.objects.filter(pk=upload.pk, updated__lt=cutoff).delete()[0]:
                    continue
                audit(None, "expire_upload", upload.record, before={"upload": str(upload.pk), "key": upload.key,
                      "offset": upload.offset, "size": upload.size})  # fmt: skip
            streams.hashers.drop(str(upload.pk))
            _delete_quietly(upload.location, upload.path)
            removed += 1
        finally:
            if handle is not None:
                handle.close()
    return removed


# --- Replicas and fixity ------------------------------------------------------------------------------------


def _copies(instance: FileInstance) -> list[tuple[Location, str, FileReplica | None]]:
    copies = [(instance.location, instance.path, None)]
    copies += [(r.location, r.path, r) for r in instance.replicas.select_related("location")]
    return copies


def _digest_copy(location: Location, path: str) -> tuple[str, str, int] | None:
    backend = location.backend()
    try:
        with backend.open_read(path) as source:
            counter = _CountingReader(source)
            md5, sha256 = streams.digest_file(counter)
            return md5, sha256, counter.count
    except (OSError, BackendError):
        return None


class _CountingReader:
    def __init__(self, source):
        self.source = source
        self.count = 0

    def read(self, size: int = -1):
        block = self.source.read(size)
        self.count += len(block)
        return block


def replicate(
    instance: FileInstance, actor=None, locations: list[Location] | None = None
) -> list[FileReplica]:
    """Copy ``instance`` to every other active location that lacks it, checking the checksums."""
    targets = locations if locations is not None else [loc for loc in sync_locations()[1:]]
    made = []
    for location in targets:
        if location.pk == instance.location_id or instance.replicas.filter(location=location).exists():
            continue
        made.append(_copy_to(instance, location, actor))
    return made


def _copy_to(instance: FileInstance, location: Location, actor) -> FileReplica:
    source_backend = instance.location.backend()
    target = location.backend()
    with source_backend.open_read(instance.path) as source:
        tee = _DigestingReader(source)
        target.save_stream(instance.path, tee, instance.size)
    md5, sha256 = tee.digests.result()
    if (md5, sha256, tee.count) != (instance.md5, instance.sha256, instance.size):
        _delete_quietly(location, instance.path)
        raise ChecksumMismatch(
            _("The copy of %(path)s did not match its checksums; no replica was recorded.")
            % {"path": instance.path}
        )
    with transaction.atomic():
        replica, _created = FileReplica.objects.get_or_create(
            instance=instance,
            location=location,
            defaults={"path": instance.path, "last_verified": timezone.now(), "verified_ok": True},
        )
        audit(actor, "replicate", instance, after={"location": location.name, "path": instance.path})
    return replica


class _DigestingReader:
    def __init__(self, source):
        self.source = source
        self.digests = streams.Digests()
        self.count = 0

    def read(self, size: int = -1):
        block = self.source.read(size if size and size > 0 else streams.BLOCK_SIZE)
        if block:
            self.digests.update(block)
            self.count += len(block)
        return block


def verify(instance: FileInstance, actor=None) -> dict[str, bool]:
    """Re-read every copy of ``instance`` and compare size, MD5 and SHA-256: {location: ok}."""
    now = timezone.now()
    results = {}
    for location, path, replica in _copies(instance):
        found = _digest_copy(location, path)
        ok = found == (instance.md5, instance.sha256, instance.size)
        results[location.name] = ok
        row = replica or instance
        type(row).objects.filter(pk=row.pk).update(last_verified=now, verified_ok=ok)
    if not all(results.values()):
        audit(actor, "verify_failed", instance, after={"results": results})
    return results


def repair(instance: FileInstance, actor=None) -> dict[str, bool]:
    """Rewrite bad or missing copies from a good one; returns the verification after the repair."""
    results = verify(instance, actor)
    good = [(loc, path) for loc, path, _r in _copies(instance) if results.get(loc.name)]
    if not good:
        audit(actor, "repair_failed", instance, after={"results": results})
        return results
    source_location, source_path = good[0]
    for location, path, _replica in _copies(instance):
        if results.get(location.name):
            continue
        with source_location.backend().open_read(source_path) as source:
            location.backend().save_stream(path, source, instance.size)
        audit(actor, "repair", instance, after={"location": location.name, "from": source_location.name})
    return verify(instance, actor)


def chunk_size() -> int:
    """Bytes per chunk for the browser uploader (``STORAGE_UPLOAD_CHUNK_BYTES``, default 8 MiB)."""
    return int(getattr(settings, "STORAGE_UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024))
