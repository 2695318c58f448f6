"""Objects outside buckets: byte sequences other apps store and own.

- Loose objects in the primary location (derivatives such as previews): ``store_loose_object``,
  ``read_object``, ``local_copy``, ``delete_object``. The caller keeps the ``FileInstance`` it gets
  back and says when the bytes go.
- Objects written to a named location (archival packages, restored files): ``store_object``,
  ``store_object_bytes``, ``find_object``, ``location_named``, ``delete_object_quietly``.

Each is one ``FileInstance``, so the fixity sweep and replication cover them like any other file.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.db import transaction

from storage import streams
from storage.models import FileInstance, Location
from storage.services.errors import ChecksumMismatch
from storage.services.locations import bytes_gone_on_commit, delete_quietly, primary_location, sync_locations
from storage.services.replicas import track_new_instances


class _BytesReader:
    def __init__(self, data: bytes):
        self.data = memoryview(data)
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size is None or size < 0 else self.offset + size
        block = bytes(self.data[self.offset : end])
        self.offset += len(block)
        return block


def location_named(name: str) -> Location:
    """The configured location called ``name`` (``""``: the primary); ``LookupError`` if none is."""
    locations = sync_locations()
    if not name:
        return locations[0]
    for location in locations:
        if location.name == name:
            return location
    raise LookupError(f"no storage location named {name!r} in STORAGE_LOCATIONS")


def find_object(location: Location, path: str) -> FileInstance | None:
    return FileInstance.objects.filter(location=location, path=path).first()


def store_object(
    location: Location,
    path: str,
    source: streams.Readable,
    *,
    size: int,
    md5: str,
    sha256: str,
    instance_id: uuid.UUID | None = None,
) -> FileInstance:
    """Stream ``source`` to ``path`` in ``location`` and record it as an instance with the given
    (prefixed) checksums, which the bytes written must match (else ``ChecksumMismatch``, nothing kept).
    Other locations get pending replicas, copied after commit, as for uploaded files."""
    tee = streams.DigestingReader(source)
    location.backend().save_stream(path, tee, size)
    actual = (*tee.digests.result(), tee.count)
    if actual != (md5, sha256, size):
        delete_quietly(location, path)
        # only the archive and import commands call this: an operator's message, not a user's
        raise ChecksumMismatch(f"the bytes written to {location.name}:{path} do not match their checksums")
    instance = FileInstance.objects.create(
        id=instance_id or uuid.uuid4(), location=location, path=path, size=size, md5=md5, sha256=sha256
    )
    track_new_instances([instance])
    return instance


def store_object_bytes(
    location: Location, path: str, data: bytes, *, instance_id: uuid.UUID | None = None
) -> FileInstance:
    """``store_object`` for small bytes in memory (checksums computed here)."""
    digests = streams.Digests()
    digests.update(data)
    md5, sha256 = digests.result()
    return store_object(
        location, path, _BytesReader(data), size=len(data), md5=md5, sha256=sha256, instance_id=instance_id
    )


def store_loose_object(data: bytes) -> FileInstance:
    """Store ``data`` as a new instance in the primary location (its row is created here)."""
    instance_id = uuid.uuid4()
    return store_object_bytes(
        primary_location(), FileInstance.path_for(instance_id), data, instance_id=instance_id
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


def delete_object_quietly(location: Location, path: str) -> None:
    """Remove bytes no row points at (an import or archive run that failed halfway)."""
    delete_quietly(location, path)


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
