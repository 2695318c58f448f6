"""``file://`` locations: files under one directory. Writes go straight to the final path."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Self
from urllib.parse import unquote

from django.conf import settings

from storage.backends import BackendError, LockBusy, StorageBackend, UploadSession, clean_relative, register
from storage.streams import Readable, ReadStream


def local_root(url: str) -> Path:
    """``file:///abs/path`` or ``file://relative/path`` (relative to the project folder)."""
    path = Path(unquote(url[len("file://") :]))
    if not path.is_absolute():
        path = Path(settings.BASE_DIR) / path
    return path


class _Window:
    """At most ``length`` bytes of an open file (no fileno: servers must not sendfile past it)."""

    def __init__(self, handle: BinaryIO, length: int):
        self.handle = handle
        self.remaining = length

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self.handle.read(size)
        self.remaining -= len(data)
        return data

    def close(self) -> None:
        self.handle.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _LockedWriter(io.FileIO):
    """The write handle of an upload; closing it also releases the writer lock it was opened under."""

    lock_fd: int | None = None

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.lock_fd is not None:
                fd, self.lock_fd = self.lock_fd, None
                os.close(fd)


class LocalUploadSession(UploadSession):
    backend: LocalBackend

    def _lock(self) -> int:
        """A read-only descriptor holding the exclusive flock (released by the kernel if the process
        dies). The file must exist: ``begin_upload`` created it, so a missing one lost its bytes."""
        try:
            fd = os.open(self.backend.full_path(self.path), os.O_RDONLY)
        except FileNotFoundError as exc:
            raise BackendError(f"{self.path} is missing: its bytes were lost") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise LockBusy(str(exc)) from exc
            raise
        return fd

    def writer(self, offset: int, *, lock: bool = False, check: Callable[[], None] | None = None) -> BinaryIO:
        full = self.backend.full_path(self.path)
        lock_fd = self._lock() if lock else None
        handle = None
        try:
            if check is not None:
                check()  # under the lock, before anything is opened for writing
            if lock_fd is not None:
                size = os.fstat(lock_fd).st_size
            else:
                size = full.stat().st_size if full.exists() else 0
            if size < offset:
                raise BackendError(f"{self.path} is shorter than {offset} bytes: its bytes were lost")
            if lock_fd is None:
                full.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(full, os.O_WRONLY | os.O_CREAT, 0o640)
            else:
                fd = os.open(full, os.O_WRONLY)
            handle = _LockedWriter(fd, "wb", closefd=True)
            handle.lock_fd, lock_fd = lock_fd, None
            os.ftruncate(fd, offset)
            handle.seek(offset)
        except BaseException:
            if handle is not None:
                handle.close()
            if lock_fd is not None:
                os.close(lock_fd)
            raise
        return handle

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        fd = self._lock()
        try:
            yield
        finally:
            os.close(fd)

    def complete(self, size: int | None = None) -> None:
        fd = os.open(self.backend.full_path(self.path), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@register
class LocalBackend(StorageBackend):
    scheme = "file"
    supports_uploads = True

    def __init__(self, root: Path):
        self.root = Path(root)

    @classmethod
    def from_url(cls, url: str) -> LocalBackend:
        return cls(local_root(url))

    def __repr__(self) -> str:
        return f"LocalBackend({str(self.root)!r})"

    def full_path(self, path: str) -> Path:
        return self.root.joinpath(*clean_relative(path).parts)

    def local_path(self, path: str) -> Path:
        return self.full_path(path)

    def open_read(self, path: str, start: int = 0, length: int | None = None) -> ReadStream:
        handle = open(self.full_path(path), "rb")  # noqa: SIM115  (the caller closes the returned stream)
        if start:
            handle.seek(start)
        return handle if length is None else _Window(handle, length)

    def save_stream(self, path: str, stream: Readable, size: int | None = None) -> None:
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

    def begin_upload(self, path: str) -> LocalUploadSession:
        session = LocalUploadSession(self, path)
        session.writer(0).close()
        return session

    def resume_upload(self, path: str, state: str = "") -> LocalUploadSession:
        return LocalUploadSession(self, path)

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
