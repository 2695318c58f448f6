"""Serving stored files: conditional GETs, Range requests, Content-Disposition, X-Accel-Redirect, ZIPs."""

from __future__ import annotations

import io
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Iterator
from urllib.parse import quote

from django.conf import settings
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe
from django.utils.translation import gettext as _

from storage.backends import StorageBackend
from storage.models import FileVersion
from storage.streams import BLOCK_SIZE, ReadStream

# Shown in the browser; everything else is downloaded (HTML or SVG from users must never run here).
INLINE_TYPES = {"application/pdf", "text/plain", "text/csv", "application/json"}
INLINE_PREFIXES = ("image/", "audio/", "video/")
INLINE_EXCLUDED = {"image/svg+xml"}
MAX_RANGES = 16


def damaged_message() -> str:
    return _(
        "This file failed its integrity check and no intact copy of it is left, so it cannot be "
        "downloaded. Staff have been told and will restore it if they can."
    )


def content_disposition(filename: str, *, inline: bool) -> str:
    """RFC 6266 with an ASCII fallback and an RFC 5987 ``filename*`` for non-ASCII names."""
    kind = "inline" if inline else "attachment"
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r'[\x00-\x1f\x7f"\\]', "_", ascii_name).strip()
    if ascii_name == "" or (ascii_name.startswith(".") and not filename.startswith(".")):
        # nothing left of the stem ("数据.csv" → ".csv"): a name that still says what the file is
        ascii_name = "download" + ascii_name
    if ascii_name == filename:
        return f'{kind}; filename="{ascii_name}"'
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def shows_inline(mimetype: str) -> bool:
    if mimetype in INLINE_EXCLUDED:
        return False
    return mimetype in INLINE_TYPES or mimetype.startswith(INLINE_PREFIXES)


def parse_ranges(header: str, size: int) -> list[tuple[int, int]] | None:
    """Byte ranges [(first, last)] of a ``Range`` header; None to ignore it; [] if unsatisfiable."""
    unit, _sep, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip():
        return None
    ranges = []
    for part in spec.split(","):
        part = part.strip()
        match = re.fullmatch(r"(\d*)-(\d*)", part)
        if not match or match.groups() == ("", ""):
            return None  # malformed: serve the whole file (RFC 9110 §14.2)
        first, last = match.groups()
        if first == "":
            length = int(last)
            if length == 0:
                continue
            ranges.append((max(0, size - length), size - 1))
        else:
            start = int(first)
            if last and int(last) < start:
                return None
            if start >= size:
                continue
            end = int(last) if last else size - 1
            ranges.append((start, min(end, size - 1)))
    if len(ranges) > MAX_RANGES:
        return None
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for first, last in ranges:
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


class RangeReader:
    """A stream's next ``length`` bytes, read in blocks (no fileno: servers must not sendfile past it)."""

    def __init__(self, handle: ReadStream, length: int):
        self.handle = handle
        self.remaining = length

    def read(self, size: int = BLOCK_SIZE) -> bytes:
        if self.remaining <= 0:
            return b""
        data = self.handle.read(min(size if size > 0 else BLOCK_SIZE, self.remaining))
        self.remaining -= len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        while block := self.read(BLOCK_SIZE):
            yield block

    def close(self) -> None:
        self.handle.close()


def _if_range_allows(request: HttpRequest, etag: str, last_modified: int) -> bool:
    value = request.META.get("HTTP_IF_RANGE")
    if not value:
        return True
    if value.startswith('"') or value.startswith("W/"):
        return value == etag  # strong comparison only
    date = parse_http_date_safe(value)
    return date is not None and date == last_modified


def serve_version(
    request: HttpRequest, version: FileVersion, *, attachment: bool = False
) -> HttpResponseBase:
    """The response for one file version: 200, 206, 304, 412 or 416, streamed (503 if damaged)."""
    instance = version.instance
    if instance.damaged:
        return HttpResponse(damaged_message(), status=503, content_type="text/plain; charset=utf-8")
    etag = instance.etag
    modified = int((version.published_at or version.created).timestamp())
    filename = version.file.filename
    inline = shows_inline(version.mimetype) and not attachment
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(modified),
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-cache",
        "Content-Disposition": content_disposition(filename, inline=inline),
        "X-Content-Type-Options": "nosniff",
    }
    if not inline:
        # Should a browser render an attachment anyway, nothing in it may run.
        headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    conditional = get_conditional_response(request, etag=etag, last_modified=modified)
    if conditional is not None:
        for name in ("ETag", "Last-Modified", "Cache-Control"):
            conditional[name] = headers[name]
        return conditional

    backend = instance.location.backend()
    redirect = _presigned(request, backend, version, headers["Content-Disposition"])
    if redirect is not None:
        return redirect

    size = instance.size
    ranges = None
    if request.META.get("HTTP_RANGE") and size > 0 and _if_range_allows(request, etag, modified):
        ranges = parse_ranges(request.META["HTTP_RANGE"], size)
    if ranges == []:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response

    accel = _x_accel(backend, version, headers)
    if accel is not None:
        return accel

    if request.method == "HEAD":
        response = HttpResponse(content_type=version.mimetype)
        response["Content-Length"] = str(size)
        for name, value in headers.items():
            response[name] = value
        return response

    body = _body(backend, instance.path, size, ranges, version.mimetype)
    for name, value in headers.items():
        body[name] = value
    return body


def _x_accel(backend: StorageBackend, version: FileVersion, headers: dict[str, str]) -> HttpResponse | None:
    """nginx serves the bytes (and the Range) from an internal location mapped to the roots."""
    prefix = settings.X_ACCEL_REDIRECT_PREFIX
    instance = version.instance
    if not prefix or backend.local_path(instance.path) is None:
        return None
    response = HttpResponse(content_type=version.mimetype)
    response["X-Accel-Redirect"] = f"{prefix.rstrip('/')}/{instance.location.name}/{quote(instance.path)}"
    for name, value in headers.items():
        response[name] = value
    return response


def _presigned(
    request: HttpRequest, backend: StorageBackend, version: FileVersion, disposition: str
) -> HttpResponseBase | None:
    """With ``S3_PRESIGNED_DOWNLOADS``, a redirect to a short-lived URL of the service that holds
    the bytes (it answers Range requests itself); None where the location has no such URLs."""
    if not settings.S3_PRESIGNED_DOWNLOADS or request.method != "GET":
        return None
    url = backend.download_url(
        version.instance.path,
        seconds=settings.S3_PRESIGN_SECONDS,
        disposition=disposition,
        content_type=version.mimetype,
    )
    if url is None:
        return None
    redirect = HttpResponseRedirect(url)
    redirect["Cache-Control"] = "private, no-store"
    return redirect


def _body(
    backend: StorageBackend, path: str, size: int, ranges: list[tuple[int, int]] | None, mimetype: str
) -> FileResponse | StreamingHttpResponse:
    """The streamed bytes: the whole file (200), one range (206) or several (206 multipart)."""
    if not ranges:
        whole = FileResponse(backend.open_read(path), content_type=mimetype)
        whole["Content-Length"] = str(size)
        return whole
    if len(ranges) == 1:
        first, last = ranges[0]
        length = last - first + 1
        response = StreamingHttpResponse(
            RangeReader(backend.open_read(path, first, length), length), status=206, content_type=mimetype
        )
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(length)
        return response
    return _multipart_ranges(backend, path, ranges, size, mimetype)


def _multipart_ranges(
    backend: StorageBackend, path: str, ranges: list[tuple[int, int]], size: int, mimetype: str
) -> StreamingHttpResponse:
    boundary = secrets.token_hex(16)
    parts = []
    for first, last in ranges:
        head = (
            f"\r\n--{boundary}\r\nContent-Type: {mimetype}\r\nContent-Range: bytes {first}-{last}/{size}\r\n\r\n"
        ).encode("ascii")
        parts.append((head, first, last))
    tail = f"\r\n--{boundary}--\r\n".encode("ascii")
    length = sum(len(head) + last - first + 1 for head, first, last in parts) + len(tail)

    def body() -> Iterator[bytes]:
        for head, first, last in parts:
            yield head
            reader = RangeReader(backend.open_read(path, first, last - first + 1), last - first + 1)
            try:
                yield from reader
            finally:
                reader.close()
        yield tail

    response = StreamingHttpResponse(
        body(), status=206, content_type=f"multipart/byteranges; boundary={boundary}"
    )
    response["Content-Length"] = str(length)
    return response


# --- "Download all" ---------------------------------------------------------------------------------


class _Sink(io.RawIOBase):
    """An unseekable sink: zipfile then writes data descriptors and never seeks back."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def zip_stream(entries: list[tuple[str, FileVersion]]) -> Iterator[bytes]:
    """A ZIP (stored, not compressed: research data is mostly compressed already) built while sent."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, version in entries:
            info = zipfile.ZipInfo(name, date_time=(version.published_at or version.created).timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = version.instance.size
            info.external_attr = 0o644 << 16
            backend = version.instance.location.backend()
            with backend.open_read(version.instance.path) as source, archive.open(info, "w") as target:
                while block := source.read(BLOCK_SIZE):
                    target.write(block)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


def zip_limit() -> int:
    return int(getattr(settings, "STORAGE_ZIP_MAX_BYTES", 10 * 10**9))
