"""Errors of the storage verbs: each carries an HTTP status and a machine-readable code."""

from __future__ import annotations

from typing import Any


class StorageError(Exception):
    """A request the rules or the bucket's state do not allow; ``message`` says why."""

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


class StorageUnavailable(StorageError):
    """The storage service (an S3 endpoint, say) cannot be reached; nothing was stored."""

    status = 503
    code = "storage_unavailable"
