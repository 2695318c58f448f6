"""``s3://bucket/prefix`` locations on any S3-compatible service (AWS, MinIO, Ceph RGW), as the
primary location or as a replica.

Uploads go into an S3 multipart upload, part by part as the bytes arrive (no local copy of the
file). S3 wants every part but the last to be at least 5 MiB: bytes of a chunk that do not fill a
part are *held* in a side object (``<key>.tail``, tagged with the offset it starts at) until later
chunks fill one. Everything a later request needs to continue (the multipart upload, its parts and
the held tail) is in S3, so any process can take the next chunk. Nothing exists under the object's
own key until ``complete``; aborting drops the parts and the tail.

Settings: ``S3_ENDPOINT_URL`` (empty for AWS), ``AWS_REGION``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``S3_ADDRESSING_STYLE`` (path, virtual or auto), ``S3_PART_BYTES``,
``S3_CONNECT_TIMEOUT``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import functools
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection

from storage.backends import (
    BackendError,
    BackendUnavailable,
    LockBusy,
    StorageBackend,
    UploadSession,
    clean_relative,
    register,
)
from storage.streams import Readable, ReadStream

MIN_PART = 5 * 1024 * 1024  # S3's smallest part (all but the last)
TAIL_SUFFIX = ".tail"


def _part_bytes() -> int:
    return max(MIN_PART, int(getattr(settings, "S3_PART_BYTES", 8 * 1024 * 1024)))


@functools.cache
def _client(endpoint: str, region: str, key_id: str, secret: str, style: str, timeout: float) -> Any:
    import boto3  # boto3 ships no types; imported here so that file:// deployments never load it
    import botocore.config

    return boto3.client(
        "s3",
        endpoint_url=endpoint or None,
        region_name=region,
        aws_access_key_id=key_id or None,
        aws_secret_access_key=secret or None,
        config=botocore.config.Config(
            s3={"addressing_style": style},
            connect_timeout=timeout,
            read_timeout=max(60.0, timeout),
            retries={"max_attempts": 2, "mode": "standard"},
            max_pool_connections=16,
        ),
    )


def _failure(what: str, exc: Exception) -> BackendError:
    """``BackendUnavailable`` for a network fault, ``BackendError`` for an answer S3 gave."""
    import botocore.exceptions as bx

    network = (
        bx.EndpointConnectionError,
        bx.ConnectionClosedError,
        bx.ConnectTimeoutError,
        bx.ReadTimeoutError,
    )
    if isinstance(exc, (*network, ConnectionError)):
        return BackendUnavailable(f"{what}: the S3 service cannot be reached: {exc}")
    return BackendError(f"{what}: {exc}")


def _not_found(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound", "NoSuchUpload")


@register
class S3Backend(StorageBackend):
    scheme = "s3"
    supports_uploads = True

    def __init__(self, bucket: str, prefix: str = ""):
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    @classmethod
    def from_url(cls, url: str) -> S3Backend:
        parts = urlsplit(url)
        return cls(parts.netloc, parts.path)

    def __repr__(self) -> str:
        return f"S3Backend({self.bucket!r}, {self.prefix!r})"

    def key(self, path: str) -> str:
        rel = str(clean_relative(path))
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def client(self) -> Any:  # a boto3 S3 client, one per configuration and process (thread-safe)
        return _client(
            settings.S3_ENDPOINT_URL,
            settings.AWS_REGION,
            settings.AWS_ACCESS_KEY_ID,
            settings.AWS_SECRET_ACCESS_KEY,
            getattr(settings, "S3_ADDRESSING_STYLE", "path"),
            float(getattr(settings, "S3_CONNECT_TIMEOUT", 5)),
        )

    def _where(self, path: str) -> str:
        return f"s3://{self.bucket}/{self.key(path)}"

    def open_read(self, path: str, start: int = 0, length: int | None = None) -> ReadStream:
        if length == 0:
            return io.BytesIO(b"")
        extra = {}
        if start or length is not None:
            end = "" if length is None else str(start + length - 1)
            extra["Range"] = f"bytes={start}-{end}"
        try:
            return self.client().get_object(Bucket=self.bucket, Key=self.key(path), **extra)["Body"]
        except Exception as exc:  # botocore raises many kinds; the caller needs one
            raise _failure(f"cannot read {self._where(path)}", exc) from exc

    def save_stream(self, path: str, stream: Readable, size: int | None = None) -> None:
        import boto3.s3.transfer

        config = boto3.s3.transfer.TransferConfig(
            multipart_threshold=_part_bytes(), multipart_chunksize=_part_bytes(), max_concurrency=2
        )
        try:
            self.client().upload_fileobj(stream, self.bucket, self.key(path), Config=config)
        except Exception as exc:
            raise _failure(f"cannot write {self._where(path)}", exc) from exc

    def delete(self, path: str) -> None:
        """The object, its held tail and any multipart upload of its key."""
        key = self.key(path)
        client = self.client()
        try:
            for upload_id in self._multipart_ids(key):
                with contextlib.suppress(Exception):
                    client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            client.delete_object(Bucket=self.bucket, Key=key + TAIL_SUFFIX)
            client.delete_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            raise _failure(f"cannot delete {self._where(path)}", exc) from exc

    def exists(self, path: str) -> bool:
        try:
            self.client().head_object(Bucket=self.bucket, Key=self.key(path))
            return True
        except Exception as exc:
            if _not_found(exc):
                return False
            raise _failure(f"cannot look at {self._where(path)}", exc) from exc

    def size(self, path: str) -> int:
        try:
            return int(self.client().head_object(Bucket=self.bucket, Key=self.key(path))["ContentLength"])
        except Exception as exc:
            raise _failure(f"cannot look at {self._where(path)}", exc) from exc

    def download_url(self, path: str, *, seconds: int, disposition: str, content_type: str) -> str | None:
        """A presigned GET of the object, valid for ``seconds``, answering with these headers."""
        try:
            return str(
                self.client().generate_presigned_url(
                    "get_object",
                    Params={
                        "Bucket": self.bucket,
                        "Key": self.key(path),
                        "ResponseContentDisposition": disposition,
                        "ResponseContentType": content_type,
                    },
                    ExpiresIn=seconds,
                )
            )
        except Exception as exc:
            raise _failure(f"cannot sign a URL for {self._where(path)}", exc) from exc

    # --- Upload sessions ---------------------------------------------------------------------------

    def _multipart_ids(self, key: str) -> list[str]:
        """Open multipart uploads of exactly ``key``, oldest first."""
        found = self.client().list_multipart_uploads(Bucket=self.bucket, Prefix=key)
        uploads = [u for u in found.get("Uploads", []) if u["Key"] == key]
        uploads.sort(key=lambda u: u["Initiated"])
        return [u["UploadId"] for u in uploads]

    def begin_upload(self, path: str) -> S3UploadSession:
        key = self.key(path)
        client = self.client()
        try:
            for upload_id in self._multipart_ids(key):
                client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            client.delete_object(Bucket=self.bucket, Key=key + TAIL_SUFFIX)
            answer = client.create_multipart_upload(Bucket=self.bucket, Key=key)
        except Exception as exc:
            raise _failure(f"cannot start an upload to {self._where(path)}", exc) from exc
        return S3UploadSession(self, path, _token(answer["UploadId"], 0, 0, 0))

    def resume_upload(self, path: str, state: str = "") -> S3UploadSession:
        return S3UploadSession(self, path, state)


def _token(upload_id: str, parts: int, parts_bytes: int, held: int) -> str:
    return json.dumps({"upload": upload_id, "parts": parts, "bytes": parts_bytes, "held": held})


class _State:
    """Where a multipart upload stands: its id, the parts that count (their number and bytes, and
    their ETags when they were listed), and the held tail."""

    def __init__(self, upload_id: str, count: int, parts_bytes: int, tail: bytes, parts: list[dict] | None):
        self.upload_id = upload_id
        self.count = count
        self.parts_bytes = parts_bytes
        self.tail = tail
        self.parts = parts  # [{"PartNumber", "ETag", "Size"}], contiguous from 1; None: not listed


class S3UploadSession(UploadSession):
    backend: S3Backend

    @property
    def key(self) -> str:
        return self.backend.key(self.path)

    # The writer lock: a PostgreSQL advisory lock (held by the connection, so released when the
    # process dies), or a file lock on hosts without PostgreSQL (single-host setups).
    def _lock_id(self) -> int:
        digest = hashlib.blake2b(
            f"s3-upload:{self.backend.bucket}/{self.key}".encode(), digest_size=8
        ).digest()
        return int.from_bytes(digest, "big", signed=True)

    def _acquire(self) -> Callable[[], None]:
        if connection.vendor == "postgresql":
            lock_id = self._lock_id()
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_id])
                row = cursor.fetchone()
            if not row or not row[0]:
                raise LockBusy(f"another writer holds {self.key}")

            def release() -> None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_id])

            return release
        folder = settings.UPLOAD_TEMP_DIR / "s3-locks"
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / f"{self._lock_id() & 0xFFFFFFFFFFFF:x}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise LockBusy(f"another writer holds {self.key}") from exc
        return lambda: os.close(fd)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        release = self._acquire()
        try:
            yield
        finally:
            release()

    def _state(self, end: int | None) -> _State:
        """The parts and held tail that make up the first ``end`` bytes (None: all that are there).

        Parts past ``end`` (a request that died before its offset was recorded) are left out; they
        are overwritten by the next ones. ``BackendError`` if ``end`` bytes cannot be made up.
        """
        client = self.backend.client()
        bucket, key = self.backend.bucket, self.key
        ids = self.backend._multipart_ids(key)
        if not ids:
            raise BackendError(f"s3://{bucket}/{key} has no upload in progress: its bytes were lost")
        upload_id = ids[-1]
        listed = self._list_parts(upload_id)
        try:
            tail_object = client.get_object(Bucket=bucket, Key=key + TAIL_SUFFIX)
            tail_start = int(tail_object.get("Metadata", {}).get("start", "-1"))
            tail = tail_object["Body"].read()
        except Exception as exc:
            if not _not_found(exc):
                raise
            tail_start, tail = -1, b""
        parts: list[dict] = []
        done = 0
        for number, part in enumerate(listed, start=1):
            size = int(part["Size"])
            if part["PartNumber"] != number or (end is not None and done + size > end):
                break
            if end is None and tail_start == done:
                break  # the held tail starts here: later parts are left over from a failed request
            parts.append({"PartNumber": number, "ETag": part["ETag"], "Size": size})
            done += size
        want = (done + len(tail) if tail_start == done else done) if end is None else end
        if want > done:
            if tail_start != done or len(tail) < want - done:
                raise BackendError(f"s3://{bucket}/{key} is shorter than {want} bytes: its bytes were lost")
            tail = tail[: want - done]
        else:
            tail = b""
        return _State(upload_id, len(parts), done, tail, parts)

    def _list_parts(self, upload_id: str) -> list[dict]:
        client = self.backend.client()
        listed: list[dict] = []
        marker = 0
        while True:
            page = client.list_parts(
                Bucket=self.backend.bucket, Key=self.key, UploadId=upload_id, PartNumberMarker=marker
            )
            listed += page.get("Parts", [])
            if not page.get("IsTruncated"):
                break
            marker = int(page["NextPartNumberMarker"])
        return sorted(listed, key=lambda p: p["PartNumber"])

    def _from_token(self, end: int | None) -> _State | None:
        """The state ``self.state`` names, if it stands at ``end`` (reads only a held tail)."""
        try:
            token = json.loads(self.state)
            upload_id, count, parts_bytes, held = (
                token["upload"],
                token["parts"],
                token["bytes"],
                token["held"],
            )
        except (ValueError, TypeError, KeyError):
            return None
        if end is None or parts_bytes + held != end:
            return None
        tail = b""
        if held:
            try:
                answer = self.backend.client().get_object(
                    Bucket=self.backend.bucket, Key=self.key + TAIL_SUFFIX
                )
            except Exception as exc:
                if _not_found(exc):
                    return None
                raise
            tail = answer["Body"].read()
            if int(answer.get("Metadata", {}).get("start", "-1")) != parts_bytes or len(tail) < held:
                return None
            tail = tail[:held]
        return _State(str(upload_id), int(count), int(parts_bytes), tail, None)

    def _load(self, end: int | None) -> _State:
        return self._from_token(end) or self._state(end)

    def _etags(self, state: _State) -> list[dict]:
        """The parts of ``state`` with their ETags (listed once, at completion)."""
        if state.parts is not None:
            return state.parts
        parts = self._list_parts(state.upload_id)[: state.count]
        if [p["PartNumber"] for p in parts] != list(range(1, state.count + 1)) or sum(
            int(p["Size"]) for p in parts
        ) != state.parts_bytes:
            raise BackendError(f"s3://{self.backend.bucket}/{self.key} lost parts: its bytes were lost")
        return parts

    def writer(self, offset: int, *, lock: bool = False, check: Callable[[], None] | None = None) -> BinaryIO:
        release = self._acquire() if lock else None
        try:
            if check is not None:
                check()
            try:
                state = self._load(offset)
            except BackendError:
                raise
            except Exception as exc:
                raise _failure(
                    f"cannot continue the upload to s3://{self.backend.bucket}/{self.key}", exc
                ) from exc
            return cast(BinaryIO, _PartWriter(self, state, offset, release))
        except BaseException:
            if release is not None:
                release()
            raise

    def complete(self, size: int | None = None) -> None:
        client = self.backend.client()
        bucket, key = self.backend.bucket, self.key
        try:
            state = self._load(size)
            if not state.count:
                # Smaller than one part: the held bytes become the object.
                client.put_object(Bucket=bucket, Key=key, Body=state.tail)
                client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=state.upload_id)
            else:
                parts = [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in self._etags(state)]
                if state.tail:
                    number = len(parts) + 1
                    answer = client.upload_part(
                        Bucket=bucket, Key=key, UploadId=state.upload_id, PartNumber=number, Body=state.tail
                    )
                    parts.append({"PartNumber": number, "ETag": answer["ETag"]})
                client.complete_multipart_upload(
                    Bucket=bucket, Key=key, UploadId=state.upload_id, MultipartUpload={"Parts": parts}
                )
            client.delete_object(Bucket=bucket, Key=key + TAIL_SUFFIX)
        except BackendError:
            raise
        except Exception as exc:
            raise _failure(f"cannot complete the upload to s3://{bucket}/{key}", exc) from exc


class _PartWriter(io.RawIOBase):
    """The write stream of an upload: full parts go to S3 (one in flight beside the writing), the
    rest is held as the tail when closed. Memory: at most two parts."""

    def __init__(
        self, session: S3UploadSession, state: _State, offset: int, release: Callable[[], None] | None
    ):
        super().__init__()
        self.session = session
        self.state = state
        self.position = offset
        self.buffer = bytearray(state.tail)
        self.release = release
        self.part_bytes = _part_bytes()
        self.next_number = state.count + 1
        self.parts_bytes = state.parts_bytes
        self.pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.pending: concurrent.futures.Future[None] | None = None
        self.finished = False
        self.sent = False
        self.failed = False  # a part was lost: nothing more is sent, the caller gives up the bytes

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def write(self, data: Any) -> int:
        if self.sent:
            raise ValueError("the upload stream was flushed: nothing more can be written")
        view = memoryview(data)
        self.buffer += view
        self.position += view.nbytes
        while len(self.buffer) >= self.part_bytes:
            part = bytes(self.buffer[: self.part_bytes])
            del self.buffer[: self.part_bytes]
            self._send(part)
        return view.nbytes

    def _send(self, part: bytes) -> None:
        self._wait()
        if self.pool is None:
            self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="s3-part")
        number, self.next_number = self.next_number, self.next_number + 1
        self.parts_bytes += len(part)
        self.pending = self.pool.submit(self._upload_part, number, part)

    def _upload_part(self, number: int, part: bytes) -> None:
        backend = self.session.backend
        backend.client().upload_part(
            Bucket=backend.bucket,
            Key=self.session.key,
            UploadId=self.state.upload_id,
            PartNumber=number,
            Body=part,
        )

    def _wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            try:
                pending.result()
            except Exception as exc:
                self.failed = True
                raise _failure(
                    f"cannot store a part of s3://{self.session.backend.bucket}/{self.session.key}", exc
                ) from exc

    def flush(self) -> None:
        """Send what is left: a part if it is big enough, else the held tail (the chunk then counts).

        ``close`` without ``flush`` sends nothing more: a failed request leaves at most whole parts
        past the recorded offset, which the next request overwrites.
        """
        if self.sent or self.failed or self.closed:
            return
        self.sent = True
        if len(self.buffer) >= MIN_PART:
            part, self.buffer = bytes(self.buffer), bytearray()
            self._send(part)
        self._wait()
        backend, key = self.session.backend, self.session.key
        client = backend.client()
        start = self.position - len(self.buffer)
        try:
            if self.buffer:
                client.put_object(
                    Bucket=backend.bucket,
                    Key=key + TAIL_SUFFIX,
                    Body=bytes(self.buffer),
                    Metadata={"start": str(start)},
                )
            elif self.state.tail:
                client.delete_object(Bucket=backend.bucket, Key=key + TAIL_SUFFIX)
        except Exception as exc:
            self.failed = True
            raise _failure(f"cannot hold the tail of s3://{backend.bucket}/{key}", exc) from exc
        self.session.state = _token(
            self.state.upload_id, self.next_number - 1, self.parts_bytes, len(self.buffer)
        )

    def close(self) -> None:
        """Release the writer lock (after any part in flight has ended)."""
        if self.finished:
            return
        self.finished = True
        self.sent = True  # IOBase.close calls flush: nothing more is sent from here
        try:
            if self.pool is not None:
                self.pool.shutdown(wait=True)
        finally:
            self.buffer = bytearray()
            if self.release is not None:
                release, self.release = self.release, None
                release()
            super().close()
