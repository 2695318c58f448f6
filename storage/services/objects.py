"""Loose objects: stored byte sequences that belong to no bucket (derivatives such as previews).

The caller keeps the ``FileInstance`` it gets back and says when the bytes go (``delete_object``);
storage only writes, reads and checksums them, in the primary location, like any other instance.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.db import transaction

from storage.models import FileInstance
from storage.services.locations import bytes_gone_on_commit, primary_location


def store_object(data: bytes) -> FileInstance:
    """Store ``data`` as a new instance in the primary location (its row is created here)."""
    location = primary_location()
    instance_id = uuid.uuid4()
    path = FileInstance.path_for(instance_id)
    location.backend().save_stream(path, io.BytesIO(data), len(data))
    return FileInstance.objects.create(
        id=instance_id,
        location=location,
        path=path,
        size=len(data),
        md5="md5:" + hashlib.md5(data, usedforsecurity=False).hexdigest(),
        sha256="sha256:" + hashlib.sha256(data).hexdigest(),
    )


def read_object(instance: FileInstance, limit: int | None = None) -> bytes:
    """The bytes of an instance (at most ``limit`` of them)."""
    with instance.location.backend().open_read(instance.path, 0, limit) as stream:
        return stream.read()


def delete_object(instance: FileInstance) -> None:
    """Remove a loose object: its row now, its bytes once the transaction commits."""
    with transaction.atomic():
        FileInstance.objects.filter(pk=instance.pk).delete()
        bytes_gone_on_commit(instance.location, instance.path)


@contextlib.contextmanager
def local_copy(instance: FileInstance, tmp_dir: str | None = None) -> Iterator[Path]:
    """A path on this host holding the instance's bytes, opened for reading only.

    A local location gives its own file (which the caller must never write to); any other backend is
    copied to a temporary file that is removed afterwards.
    """
    backend = instance.location.backend()
    path = backend.local_path(instance.path)
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(dir=tmp_dir) as tmp:
        copy = Path(tmp) / "data"
        with backend.open_read(instance.path) as stream, copy.open("wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
        yield copy
