"""MD5 and SHA-256 whose running state can be saved as bytes and resumed in another process.

Python's hashlib objects cannot be pickled, so a chunked upload served by several workers would
have to re-read its bytes at the finish. OpenSSL's low-level ``MD5_*``/``SHA256_*`` functions (the
same assembly as hashlib, still exported by OpenSSL 3) work on plain C structs: their bytes are the
whole state. ``ResumableHash.state()`` returns them and ``ResumableHash.resume()`` continues from
them. ctypes releases the GIL during each call, so the two hashes still run on two cores.

``available()`` is False where no such libcrypto can be loaded; callers then keep the old path
(hash in this process, re-read what is missing at the finish).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import hashlib
import struct
from typing import Protocol

STATE_BYTES = 128  # larger than MD5_CTX (92 bytes) and SHA256_CTX (112 bytes)
_MAGIC = b"RH1"  # format tag of ``dump``: a state written by another layout is never resumed


class Hasher(Protocol):
    """What ``streams.Digests`` needs of a hash object."""

    def update(self, data: bytes | bytearray | memoryview, /) -> None: ...

    def hexdigest(self) -> str: ...


@functools.cache
def _libcrypto() -> ctypes.CDLL | None:
    import _hashlib  # the libcrypto Python itself uses comes first

    candidates = [getattr(_hashlib, "__file__", None), ctypes.util.find_library("crypto")]
    candidates += ["libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.dylib"]
    for name in candidates:
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            for algorithm in ("MD5", "SHA256"):
                for step in ("Init", "Update", "Final"):
                    func = getattr(lib, f"{algorithm}_{step}")
                    func.restype = ctypes.c_int
                getattr(lib, f"{algorithm}_Init").argtypes = [ctypes.c_void_p]
                getattr(lib, f"{algorithm}_Update").argtypes = [
                    ctypes.c_void_p,
                    ctypes.c_void_p,
                    ctypes.c_size_t,
                ]
                getattr(lib, f"{algorithm}_Final").argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        except (OSError, AttributeError):
            continue
        if _selftest(lib):
            return lib
    return None


def _selftest(lib: ctypes.CDLL) -> bool:
    sample = b"resumable hash self-test" * 100
    for name, expected in (
        ("md5", hashlib.md5(sample, usedforsecurity=False)),
        ("sha256", hashlib.sha256(sample)),
    ):
        first = ResumableHash(name, lib=lib)
        first.update(sample[:1000])
        second = ResumableHash.resume(name, first.state(), lib=lib)
        second.update(sample[1000:])
        if second.hexdigest() != expected.hexdigest():
            return False
    return True


def available() -> bool:
    return _libcrypto() is not None


class ResumableHash:
    """``hashlib.md5()``/``hashlib.sha256()`` lookalike (``update``, ``hexdigest``) with ``state()``."""

    _SIZES = {"md5": 16, "sha256": 32}

    def __init__(self, name: str, *, lib: ctypes.CDLL | None = None):
        if name not in self._SIZES:
            raise ValueError(f"no resumable {name}")
        self.name = name
        self._lib = lib or _libcrypto()
        if self._lib is None:
            raise RuntimeError("no usable libcrypto for resumable hashes")
        self._prefix = "MD5" if name == "md5" else "SHA256"
        self._ctx = ctypes.create_string_buffer(STATE_BYTES)
        getattr(self._lib, f"{self._prefix}_Init")(self._ctx)

    @classmethod
    def resume(cls, name: str, state: bytes, *, lib: ctypes.CDLL | None = None) -> ResumableHash:
        if len(state) != STATE_BYTES:
            raise ValueError("not a saved hash state")
        hasher = cls(name, lib=lib)
        ctypes.memmove(hasher._ctx, state, STATE_BYTES)
        return hasher

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        if isinstance(data, bytes):
            getattr(self._lib, f"{self._prefix}_Update")(self._ctx, data, len(data))
            return
        view = memoryview(data)
        if not view.contiguous or view.readonly:
            data = bytes(view)
            getattr(self._lib, f"{self._prefix}_Update")(self._ctx, data, len(data))
            return
        buffer = (ctypes.c_char * view.nbytes).from_buffer(view)
        getattr(self._lib, f"{self._prefix}_Update")(self._ctx, buffer, view.nbytes)

    def state(self) -> bytes:
        return self._ctx.raw

    def hexdigest(self) -> str:
        ctx = ctypes.create_string_buffer(self._ctx.raw, STATE_BYTES)  # Final must not end this state
        out = ctypes.create_string_buffer(self._SIZES[self.name])
        getattr(self._lib, f"{self._prefix}_Final")(out, ctx)
        return out.raw.hex()


def dump(md5: ResumableHash, sha256: ResumableHash, offset: int) -> bytes:
    """One blob for the database: the format tag, the offset it stands at, both states."""
    return _MAGIC + struct.pack(">Q", offset) + md5.state() + sha256.state()


def load(blob: bytes | memoryview | None, offset: int) -> tuple[ResumableHash, ResumableHash] | None:
    """The two hashes of ``dump``, if ``blob`` is one standing at ``offset`` (else None)."""
    if blob is None or not available():
        return None
    blob = bytes(blob)
    if len(blob) != 3 + 8 + 2 * STATE_BYTES or not blob.startswith(_MAGIC):
        return None
    (at,) = struct.unpack(">Q", blob[3:11])
    if at != offset:
        return None
    return (
        ResumableHash.resume("md5", blob[11 : 11 + STATE_BYTES]),
        ResumableHash.resume("sha256", blob[11 + STATE_BYTES :]),
    )
