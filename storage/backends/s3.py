"""``s3://bucket/prefix`` locations (``S3_ENDPOINT_URL`` for S3-compatible servers): whole-object
writes, ranged reads and deletes, which is what replicas need. No upload sessions yet, so an S3
location cannot be the primary one."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from storage.backends import BackendError, StorageBackend, clean_relative, register
from storage.streams import Readable, ReadStream


@register
class S3Backend(StorageBackend):
    scheme = "s3"

    def __init__(self, bucket: str, prefix: str = ""):
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    @classmethod
    def from_url(cls, url: str) -> S3Backend:
        parts = urlsplit(url)
        return cls(parts.netloc, parts.path)

    def __repr__(self) -> str:
        return f"S3Backend({self.bucket!r}, {self.prefix!r})"

    def _key(self, path: str) -> str:
        rel = str(clean_relative(path))
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def client(self) -> Any:  # a boto3 S3 client (boto3 ships no types)
        import boto3  # optional dependency: only S3 locations need it
        import botocore.config

        return boto3.client(
            "s3",
            endpoint_url=settings.S3_ENDPOINT_URL or None,
            region_name=settings.AWS_REGION,
            aws_access_key_id=settings.AWS_ACCESS_KEY_ID or None,
            aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY or None,
            config=botocore.config.Config(s3={"addressing_style": "path"}),
        )

    def open_read(self, path: str, start: int = 0, length: int | None = None) -> ReadStream:
        if length == 0:
            return io.BytesIO(b"")
        extra = {}
        if start or length is not None:
            end = "" if length is None else str(start + length - 1)
            extra["Range"] = f"bytes={start}-{end}"
        try:
            return self.client().get_object(Bucket=self.bucket, Key=self._key(path), **extra)["Body"]
        except Exception as exc:  # botocore raises many kinds; the caller needs one
            raise BackendError(f"cannot read s3://{self.bucket}/{self._key(path)}: {exc}") from exc

    def save_stream(self, path: str, stream: Readable, size: int | None = None) -> None:
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
