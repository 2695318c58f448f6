"""Moving bytes: request bodies to files, in bounded memory, with MD5 and SHA-256 in one pass.

``Digests`` feeds each block to two hashing threads (hashlib releases the GIL on large updates,
so both cores work while the main thread receives and writes). ``request_body_reader`` reads a
request body in large blocks; under gunicorn it reads the client socket directly, because
gunicorn's own ``wsgi.input`` hands bytes over in 1 KiB steps (about 3 s of CPU per GiB).
"""

from __future__ import annotations

import hashlib
import io
import os
import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Protocol, Self

from storage import hashstate
from storage.hashstate import Hasher

if TYPE_CHECKING:
    from django.http import HttpRequest

BLOCK_SIZE = 1 << 20  # 1 MiB: large enough for hashlib to drop the GIL, small enough to bound memory
QUEUE_BLOCKS = 4  # per hashing thread: at most ~2 × 4 MiB in flight
THREAD_THRESHOLD = 256 * 1024  # small bodies are hashed inline: starting threads costs more

# What a read returns: bytes, or (reading a socket into a buffer without copying) a bytearray or a
# memoryview of one.
Chunk = bytes | bytearray | memoryview
ReadFunc = Callable[[int], Chunk]


class Readable(Protocol):
    """Anything with ``read(n) -> bytes``: open files, the backends' streams, the wrappers here."""

    def read(self, size: int = -1, /) -> bytes: ...


class ReadStream(Readable, Protocol):
    """A readable stream that its user closes, also with ``with`` (``StorageBackend.open_read``)."""

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> None: ...


class Digests:
    """MD5 and SHA-256 of one byte stream, optionally continuing from existing hash objects."""

    def __init__(self, md5: Hasher | None = None, sha256: Hasher | None = None):
        self.md5: Hasher = md5 or hashlib.md5(usedforsecurity=False)
        self.sha256: Hasher = sha256 or hashlib.sha256()
        self._queues: list[queue.Queue[Chunk | None]] = []
        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []

    def update(self, block: Chunk) -> None:
        if not self._threads and len(block) < THREAD_THRESHOLD:
            self.md5.update(block)
            self.sha256.update(block)
            return
        if not self._threads:
            self._start()
        for q in self._queues:
            q.put(block)

    def _start(self) -> None:
        for hasher in (self.md5, self.sha256):
            q: queue.Queue[Chunk | None] = queue.Queue(maxsize=QUEUE_BLOCKS)
            thread = threading.Thread(target=self._run, args=(q, hasher), daemon=True, name="digest")
            thread.start()
            self._queues.append(q)
            self._threads.append(thread)

    def _run(self, q: queue.Queue[Chunk | None], hasher: Hasher) -> None:
        while True:
            block = q.get()
            if block is None:
                return
            try:
                hasher.update(block)
            except BaseException as exc:  # reported by close(); keep draining so put() never blocks
                self._errors.append(exc)

    def close(self) -> None:
        """Wait until every block is hashed. Call before reading the digests; safe to call twice."""
        for q in self._queues:
            q.put(None)
        for thread in self._threads:
            thread.join()
        self._queues, self._threads = [], []
        if self._errors:
            raise self._errors[0]

    def result(self) -> tuple[str, str]:
        self.close()
        return "md5:" + self.md5.hexdigest(), "sha256:" + self.sha256.hexdigest()

    @classmethod
    def resumable(cls, saved: bytes | memoryview | None = None, offset: int = 0) -> Digests | None:
        """Digests whose state ``saved_state`` can store: new at ``offset`` 0, or continuing from
        ``saved`` (a ``saved_state`` standing at ``offset``). None when that cannot be done."""
        if saved is None:
            if offset != 0 or not hashstate.available():
                return None
            return cls(hashstate.ResumableHash("md5"), hashstate.ResumableHash("sha256"))
        loaded = hashstate.load(saved, offset)
        return None if loaded is None else cls(*loaded)

    def saved_state(self, offset: int) -> bytes | None:
        """The running state as bytes (for the upload's row), standing at ``offset``."""
        self.close()
        if isinstance(self.md5, hashstate.ResumableHash) and isinstance(self.sha256, hashstate.ResumableHash):
            return hashstate.dump(self.md5, self.sha256, offset)
        return None


class NoDigests:
    """Stands in for ``Digests`` when the hash state is elsewhere (checksums are re-read at finish)."""

    def update(self, block: Chunk) -> None:
        pass

    def close(self) -> None:
        pass


def digest_file(handle: Readable, limit: int | None = None) -> tuple[str, str]:
    """Checksums of a file's first ``limit`` bytes (or all of it), in bounded memory."""
    digests = Digests()
    remaining = limit
    try:
        while remaining is None or remaining > 0:
            want = BLOCK_SIZE if remaining is None else min(BLOCK_SIZE, remaining)
            block = handle.read(want)
            if not block:
                break
            digests.update(block)
            if remaining is not None:
                remaining -= len(block)
    finally:
        digests.close()
    return digests.result()


class TooManyBytes(Exception):
    def __init__(self, received: int):
        super().__init__(received)
        self.received = received


WRITE_BEHIND_STEP = 128 * 1024 * 1024


class WriteBehind:
    """Starts the kernel's writeback of each 128 MiB just written (``posix_fadvise(DONTNEED)``).

    Without it a long upload fills the page cache with dirty pages until the kernel throttles the
    writer, and the final ``fsync`` then waits for all of them; with it writeback overlaps the
    transfer and the large file does not crowd the page cache.
    """

    def __init__(self, out: BinaryIO):
        self.fd = None
        try:
            if hasattr(os, "posix_fadvise"):
                self.fd = out.fileno()
                # Aligned, so that chunks smaller than the step still trigger it as they add up.
                self.done = out.tell() // WRITE_BEHIND_STEP * WRITE_BEHIND_STEP
        except (AttributeError, OSError, ValueError):
            self.fd = None

    def advance(self, position: int) -> None:
        if self.fd is not None and position - self.done >= WRITE_BEHIND_STEP:
            try:
                os.posix_fadvise(self.fd, self.done, position - self.done, os.POSIX_FADV_DONTNEED)
            except OSError:
                self.fd = None
                return
            self.done = position


def copy_stream(
    read: ReadFunc,
    out: BinaryIO,
    digests: Digests | NoDigests,
    *,
    limit: int,
    exact: bool = False,
) -> int:
    """Copy from ``read`` to ``out`` until EOF, hashing as it goes; returns the bytes written.

    More than ``limit`` bytes raise ``TooManyBytes`` after writing exactly ``limit`` bytes (the
    caller decides what to keep). ``exact`` reads no further than ``limit`` (a known body length).
    """
    written = 0
    behind = WriteBehind(out)
    start = out.tell() if behind.fd is not None else 0
    try:
        while True:
            want = BLOCK_SIZE if not exact else min(BLOCK_SIZE, limit - written)
            if want <= 0:
                break
            block = read(want)
            if not block:
                break
            if written + len(block) > limit:
                keep = limit - written
                if keep:
                    out.write(block[:keep])
                    digests.update(block[:keep])
                    written += keep
                raise TooManyBytes(written + len(block) - keep)
            _write_all(out, block)
            digests.update(block)
            written += len(block)
            behind.advance(start + written)
    finally:
        digests.close()
    return written


def _write_all(out: BinaryIO, block: Chunk) -> None:
    view = memoryview(block)
    while view:
        count = out.write(view)
        if count is None:  # buffered writers write everything
            return
        view = view[count:]


def request_body_reader(request: HttpRequest) -> ReadFunc:
    """A ``read(n)`` over the request body that never reads it whole.

    Reading returns b"" at the end of the body. A client that disconnects early makes reads
    return b"" too (the caller compares what it got with Content-Length).
    """
    fast = _gunicorn_reader(request)
    if fast is not None:
        return fast

    def read(size: int) -> bytes:
        try:
            return request.read(size)
        except OSError:  # client went away: Django raises UnreadablePostError (an OSError)
            return b""

    return read


def _gunicorn_reader(request: HttpRequest) -> ReadFunc | None:
    """Read the socket directly when gunicorn serves a body with a Content-Length.

    Only when nothing of the body has been read yet; anything gunicorn already buffered past the
    headers is served first. Afterwards gunicorn's reader is told the body is consumed.
    """
    environ = getattr(request, "environ", {})
    sock = environ.get("gunicorn.socket")
    body = environ.get("wsgi.input")
    if sock is None or body is None:
        return None
    try:
        from gunicorn.http.body import Body, LengthReader
        from gunicorn.http.unreader import SocketUnreader
    except ImportError:
        return None
    reader = getattr(body, "reader", None)
    if not (
        isinstance(body, Body)
        and isinstance(reader, LengthReader)
        and isinstance(getattr(reader, "unreader", None), SocketUnreader)
        and isinstance(getattr(body, "buf", None), io.BytesIO)
        and body.buf.tell() == 0
        and isinstance(getattr(reader.unreader, "buf", None), io.BytesIO)
    ):
        return None
    unreader = reader.unreader
    unreader.buf.seek(0, io.SEEK_END)
    pending = unreader.buf.getvalue()
    head, rest = pending[: reader.length], pending[reader.length :]
    unreader.buf = io.BytesIO()
    unreader.buf.write(rest)
    remaining = reader.length

    def read(size: int) -> Chunk:
        nonlocal head, remaining
        if head:
            out, head = head[:size], head[size:]
            remaining -= len(out)
            reader.length = remaining
            return out
        want = min(size, remaining)
        if want <= 0:
            return b""
        buf = bytearray(want)
        view = memoryview(buf)
        got = 0
        try:
            while got < want:
                count = sock.recv_into(view[got:], want - got)
                if not count:
                    break
                got += count
        except OSError:
            pass
        remaining -= got
        reader.length = remaining
        return view[:got] if got < want else buf

    return read


def feed_file(handle: Readable, digests: Digests, start: int, length: int) -> None:
    """Hash the next ``length`` bytes of a stream opened at byte ``start`` (catching up on bytes
    stored elsewhere); ``start`` only names where they are."""
    remaining = length
    while remaining > 0:
        block = handle.read(min(BLOCK_SIZE, remaining))
        if not block:
            raise OSError(f"the file ended {remaining} bytes early")
        digests.update(block)
        remaining -= len(block)


class DigestingReader:
    """Reads through ``source``, hashing (MD5 and SHA-256) and counting what passes."""

    def __init__(self, source: Readable):
        self.source = source
        self.digests = Digests()
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        block = self.source.read(size if size and size > 0 else BLOCK_SIZE)
        if block:
            self.digests.update(block)
            self.count += len(block)
        return block
