"""Storage verbs, by topic; every public name is re-exported here (``storage.services.X``).

- ``keys``: key (file name) rules and MIME types.
- ``locations``: ``STORAGE_LOCATIONS`` rows and removing bytes.
- ``files``: buckets (create, lock, unlock, delete), the working set and published state,
  ``remove_file``/``restore_file``, ``publish_staged``/``discard_staged``.
- ``quotas``: usage, quota checks, ``set_quota``.
- ``uploads``: the resumable upload protocol, ``store_stream``/``store_bytes``, stale uploads.
- ``replicas``: ``replicate``, ``verify``, ``repair``, ``check_fixity`` (verify, repair, tell staff).
- ``bulk``: ``bulk_store`` for demo data.
- ``objects``: ``store_object`` (bytes other apps archive at a named location), ``location_named``.
- ``actors``: the user a row records for an ``Actor``.
"""

from storage.services.bulk import BulkItem, bulk_store
from storage.services.errors import (
    ChecksumMismatch,
    FileMissing,
    IncompleteUpload,
    InvalidKey,
    NotEditable,
    QuotaExceeded,
    StorageError,
    StorageFull,
    TooManyBytes,
    UploadBusy,
    WrongOffset,
)
from storage.services.files import (
    PublishedFile,
    WorkingFile,
    create_bucket,
    create_buckets,
    current_files,
    delete_bucket,
    discard_staged,
    find_version,
    lock_bucket,
    publish_staged,
    published_files,
    published_files_by_bucket,
    remove_file,
    restore_file,
    unlock_bucket,
    working_files,
    working_files_by_bucket,
)
from storage.services.keys import MAX_KEY_BYTES, MAX_NAME_BYTES, guess_mimetype, validate_key
from storage.services.locations import primary_location, sync_locations
from storage.services.objects import (
    delete_object_quietly,
    find_object,
    location_named,
    store_object,
    store_object_bytes,
)
from storage.services.quotas import Allowance, Usage, check_quota, pending_bytes, set_quota, usage
from storage.services.replicas import Outcome as FixityOutcome
from storage.services.replicas import (
    check_claimed,
    check_fixity,
    claim_fixity_batch,
    fixity_batch_size,
    repair,
    replicate,
    verify,
)
from storage.services.uploads import (
    STALE_UPLOAD_AGE,
    cancel_upload,
    chunk_size,
    create_upload,
    finish_upload,
    remove_stale_uploads,
    store_bytes,
    store_stream,
    write_chunk,
)
from storage.sizes import format_size

__all__ = [
    "MAX_KEY_BYTES",
    "MAX_NAME_BYTES",
    "STALE_UPLOAD_AGE",
    "Allowance",
    "BulkItem",
    "ChecksumMismatch",
    "FileMissing",
    "FixityOutcome",
    "IncompleteUpload",
    "InvalidKey",
    "NotEditable",
    "PublishedFile",
    "QuotaExceeded",
    "StorageError",
    "StorageFull",
    "TooManyBytes",
    "UploadBusy",
    "Usage",
    "WorkingFile",
    "WrongOffset",
    "bulk_store",
    "cancel_upload",
    "check_claimed",
    "check_fixity",
    "check_quota",
    "chunk_size",
    "claim_fixity_batch",
    "create_bucket",
    "create_buckets",
    "create_upload",
    "current_files",
    "delete_bucket",
    "delete_object_quietly",
    "discard_staged",
    "find_object",
    "find_version",
    "finish_upload",
    "fixity_batch_size",
    "format_size",
    "guess_mimetype",
    "location_named",
    "lock_bucket",
    "pending_bytes",
    "primary_location",
    "publish_staged",
    "published_files",
    "published_files_by_bucket",
    "remove_file",
    "remove_stale_uploads",
    "repair",
    "replicate",
    "restore_file",
    "set_quota",
    "store_bytes",
    "store_object",
    "store_object_bytes",
    "store_stream",
    "sync_locations",
    "unlock_bucket",
    "usage",
    "validate_key",
    "verify",
    "working_files",
    "working_files_by_bucket",
    "write_chunk",
]
