"""Storage backends: where a location's bytes live.

A backend is addressed by paths relative to its root ("ab/cd/<uuid>/data"). The local
filesystem backend supports everything uploads need (writing at an offset, a lock per file,
rename-free final paths); the S3 backend supports whole-object copies, reads and deletes, which
is what replicas need. ``backend_for(url)`` picks one from a ``STORAGE_LOCATIONS`` URL.
"""

from __future__ import annotations

import abc
import errno
import fcntl
import os
import shutil
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class BackendError(Exception):
    """A backend could not do what was asked (the message names the path and the problem)."""


class LockBusy(BackendError):
    """Another writer holds the file's lock."""


class StorageBackend(abc.ABC):
    """The operations the storage services use. Paths are relative, '/'-separated."""

    supports_uploads = False

    def open_write(self, path: str, offset: int = 0, *, lock: bool = False) -> BinaryIO:
        """A writable binary file positioned at ``offset``; bytes past ``offset`` are dropped.

        ``lock`` takes the file's exclusive writer lock first (``LockBusy`` if another writer has
        it). A file shorter than ``offset`` raises ``BackendError``: bytes were lost.
        """
        raise BackendError(f"{type(self).__name__} cannot write at an offset")

    @abc.abstractmethod
    def open_read(self, path: str) -> BinaryIO:
        ...

    @abc.abstractmethod
    def save_stream(self, path: str, stream: BinaryIO, size: int | None = None) -> None:
        ...

    @abc.abstractmethod
    def delete(self, path: str) -> None:
        ...

    @abc.abstractmethod
    def exists(self, path: str) -> bool:
        ...

    @abc.abstractmethod
    def size(self, path: str) -> int:
        ...

    def local_path(self, path: str) -> Path | None:
        """The file's path on this host, if it has one (FileResponse, X-Accel-Redirect)."""
        return None


def _clean_relative(path: str) -> PurePosixPath:
    rel = PurePosixPath(path)
    if rel.is_absolute() or any(part in ("..", "") for part in rel.parts) or not rel.parts:
        raise BackendError(f"refusing storage path {path!r}: it must stay inside the location")
    return rel


class LocalBackend(StorageBackend):
    """Files under one directory. Writes go straight to the final path; nothing is renamed."""

    supports_uploads = True

    def __init__(self, root: Path):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalBackend({str(self.root)!r})"

    def full_path(self, path: str) -> Path:
        return self.root.joinpath(*_clean_relative(path).parts)

    def local_path(self, path: str) -> Path:
        return self.full_path(path)

    def open_write(self, path: str, offset: int = 0, *, lock: bool = False) -> BinaryIO:
        full = self.full_path(path)
        full.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(full, os.O_WRONLY | os.O_CREAT, 0o640)
        handle = os.fdopen(fd, "wb", buffering=0)
        try:
            if lock:
                self._lock(fd)
            if os.fstat(fd).st_size < offset:
                raise BackendError(f"{path} is shorter than {offset} bytes: its bytes were lost")
            os.ftruncate(fd, offset)
            handle.seek(offset)
        except BaseException:
            handle.close()
            raise
        return handle

    @staticmethod
    def _lock(fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise LockBusy(str(exc)) from exc
            raise

    def open_read(self, path: str) -> BinaryIO:
        return open(self.full_path(path), "rb")

    def save_stream(self, path: str, stream: BinaryIO, size: int | None = None) -> None:
        full = self.full_path(path)
        full.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(full, "wb") as out:
                shutil.copyfileobj(stream, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            full.unlink(missing_ok=True)
            raise

    def delete(self, path: str) -> None:
        full = self.full_path(path)
        full.unlink(missing_ok=True)
        # Drop the now empty per-instance folders, never the root.
        parent = full.parent
        while parent != self.root and self.root in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def exists(self, path: str) -> bool:
        return self.full_path(path).is_file()

    def size(self, path: str) -> int:
        return self.full_path(path).stat().st_size


class S3Backend(StorageBackend):
    """Objects under ``s3://bucket/prefix`` (``S3_ENDPOINT_URL`` for S3-compatible servers)."""

    def __init__(self, bucket: str, prefix: str = ""):
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    def __repr__(self) -> str:
        return f"S3Backend({self.bucket!r}, {self.prefix!r})"

    def _key(self, path: str) -> str:
        rel = str(_clean_relative(path))
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def client(self):
        import boto3
        import botocore.config

        return boto3.client(
            "s3",
            endpoint_url=settings.S3_ENDPOINT_URL or None,
            region_name=settings.AWS_REGION,
            aws_access_key_id=settings.AWS_ACCESS_KEY_ID or None,
            aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY or None,
            config=botocore.config.Config(s3={"addressing_style": "path"}),
        )

    def open_read(self, path: str) -> BinaryIO:
        try:
            return self.client().get_object(Bucket=self.bucket, Key=self._key(path))["Body"]
        except Exception as exc:  # botocore raises many kinds; the caller needs one
            raise BackendError(f"cannot read s3://{self.bucket}/{self._key(path)}: {exc}") from exc

    def save_stream(self, path: str, stream: BinaryIO, size: int | None = None) -> None:
        self.client().upload_fileobj(stream, self.bucket, self._key(path))

    def delete(self, path: str) -> None:
        self.client().delete_object(Bucket=self.bucket, Key=self._key(path))

    def exists(self, path: str) -> bool:
        try:
            self.client().head_object(Bucket=self.bucket, Key=self._key(path))
            return True
        except Exception:
            return False

    def size(self, path: str) -> int:
        return self.client().head_object(Bucket=self.bucket, Key=self._key(path))["ContentLength"]


def local_root(url: str) -> Path:
    """``file:///abs/path`` or ``file://relative/path`` (relative to the project folder)."""
    raw = unquote(url[len("file://") :])
    path = Path(raw)
    if not path.is_absolute():
        path = Path(settings.BASE_DIR) / path
    return path


def backend_for(url: str) -> StorageBackend:
    scheme = urlsplit(url).scheme
    if scheme == "file":
        return LocalBackend(local_root(url))
    if scheme == "s3":
        parts = urlsplit(url)
        return S3Backend(parts.netloc, parts.path)
    raise ImproperlyConfigured(f"storage location {url!r}: only file:// and s3:// are supported")
