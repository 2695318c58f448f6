"""Storage backends: where a location's bytes live, chosen by the scheme of its URL.

A backend is addressed by paths relative to its root ("ab/cd/<uuid>/data") and speaks streams:
ranged reads (``open_read``), whole-object writes (``save_stream``) and resumable upload sessions
(``begin_upload``/``resume_upload`` → ``UploadSession``). Each backend is one module of this package
that subclasses ``StorageBackend`` and registers its URL scheme with ``@register``; every module
here is loaded on first use, so adding a backend is adding one file.
"""

from __future__ import annotations

import abc
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from storage.streams import Readable, ReadStream


class BackendError(Exception):
    """A backend could not do what was asked (the message names the path and the problem)."""


class BackendUnavailable(BackendError):
    """The service behind a location cannot be reached (a network fault, not a missing object)."""


class LockBusy(BackendError):
    """Another writer holds the upload's lock."""


class UploadSession(abc.ABC):
    """One object being written in parts at byte offsets, across requests and processes.

    Bytes go straight to the object's final path; nothing is visible to readers of the database
    until the caller records the finished object.
    """

    def __init__(self, backend: StorageBackend, path: str, state: str = ""):
        self.backend = backend
        self.path = path
        # What the backend needs to continue cheaply (S3: the multipart upload, its parts, the held
        # tail), as text the caller keeps with the upload: ``begin_upload`` and each flushed writer
        # update it. Empty or out of date, the backend finds its way from what is stored.
        self.state = state

    @abc.abstractmethod
    def writer(self, offset: int, *, lock: bool = False, check: Callable[[], None] | None = None) -> BinaryIO:
        """A writable binary stream at ``offset``; bytes past ``offset`` are dropped.

        ``lock`` takes the upload's exclusive writer lock for the stream's lifetime (``LockBusy``
        if another writer has it). ``check`` runs once the lock is held and before anything is opened
        for writing or dropped: whatever it raises leaves every stored byte as it was (callers re-read
        the offset there, so a retried or duplicated chunk cannot cut bytes another request stored).
        An object shorter than ``offset`` raises ``BackendError``.
        """

    @abc.abstractmethod
    def hold(self) -> AbstractContextManager[None]:
        """The exclusive writer lock, without opening anything for writing (``LockBusy`` if taken)."""

    def write_at(self, offset: int, stream: Readable, *, lock: bool = True) -> int:
        """Copy ``stream`` to the object from ``offset``; returns the bytes written."""
        with self.writer(offset, lock=lock) as out:
            start = out.tell()
            shutil.copyfileobj(stream, out, 1 << 20)
            return out.tell() - start

    @abc.abstractmethod
    def complete(self, size: int | None = None) -> None:
        """Make the first ``size`` bytes (or all written) the durable object, before it is recorded."""

    def abort(self) -> None:
        """Drop the bytes written so far."""
        self.backend.delete(self.path)


class StorageBackend(abc.ABC):
    """The operations the storage services use. Paths are relative, '/'-separated."""

    scheme: str = ""
    # Can be the primary location (new bytes arrive through upload sessions).
    supports_uploads = False

    @classmethod
    @abc.abstractmethod
    def from_url(cls, url: str) -> StorageBackend:
        """The backend for a ``STORAGE_LOCATIONS`` URL of this scheme."""

    @abc.abstractmethod
    def open_read(self, path: str, start: int = 0, length: int | None = None) -> ReadStream:
        """A binary stream of the object's bytes from ``start`` (``length`` of them, or to the end)."""

    @abc.abstractmethod
    def save_stream(self, path: str, stream: Readable, size: int | None = None) -> None:
        """Write a whole object from ``stream`` (a replica, a repair, bulk data)."""

    def begin_upload(self, path: str) -> UploadSession:
        """Start a resumable upload to ``path`` (an empty object)."""
        raise BackendError(f"{type(self).__name__} cannot take uploads")

    def resume_upload(self, path: str, state: str = "") -> UploadSession:
        """The session of an upload begun earlier, maybe by another process."""
        raise BackendError(f"{type(self).__name__} cannot take uploads")

    @abc.abstractmethod
    def delete(self, path: str) -> None: ...

    @abc.abstractmethod
    def exists(self, path: str) -> bool: ...

    @abc.abstractmethod
    def size(self, path: str) -> int: ...

    def download_url(self, path: str, *, seconds: int, disposition: str, content_type: str) -> str | None:
        """A short-lived URL that serves the object itself (S3's presigned GET), if there is one."""
        return None

    def local_path(self, path: str) -> Path | None:
        """The file's path on this host, if it has one (FileResponse, X-Accel-Redirect)."""
        return None


_BACKENDS: dict[str, type[StorageBackend]] = {}


def register(cls: type[StorageBackend]) -> type[StorageBackend]:
    """Class decorator: ``cls`` serves URLs of ``cls.scheme``."""
    _BACKENDS[cls.scheme] = cls
    return cls


def backend_for(url: str) -> StorageBackend:
    """The backend of a ``STORAGE_LOCATIONS`` URL, by its scheme (``file://``, ``s3://``)."""
    scheme = urlsplit(url).scheme
    if scheme not in _BACKENDS:
        known = ", ".join(f"{name}://" for name in sorted(_BACKENDS))
        raise ImproperlyConfigured(f"storage location {url!r}: only {known} are supported")
    return _BACKENDS[scheme].from_url(url)


def clean_relative(path: str) -> PurePosixPath:
    """A relative storage path; ``BackendError`` for one that could leave the location's root."""
    rel = PurePosixPath(path)
    if rel.is_absolute() or any(part in ("..", "") for part in rel.parts) or not rel.parts:
        raise BackendError(f"refusing storage path {path!r}: it must stay inside the location")
    return rel


# The built-in backends register themselves; a new one is one module here plus its line below.
from storage.backends import local, s3  # noqa: E402, F401
