"""Objects written by other apps to a named location (archival packages, restored files): one
``FileInstance`` per stored byte sequence, so the fixity sweep and replication cover them too."""

from __future__ import annotations

import uuid

from django.db import transaction

from storage import streams, tasks
from storage.models import FileInstance, Location
from storage.services.errors import ChecksumMismatch
from storage.services.locations import delete_quietly, replicas_wanted, sync_locations


class _Digesting:
    """Reads through, hashing and counting what passes."""

    def __init__(self, source: streams.Readable):
        self.source = source
        self.digests = streams.Digests()
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        block = self.source.read(size if size and size > 0 else streams.BLOCK_SIZE)
        if block:
            self.digests.update(block)
            self.count += len(block)
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
    Other locations get replicas after commit, as for published files."""
    tee = _Digesting(source)
    location.backend().save_stream(path, tee, size)
    actual = (*tee.digests.result(), tee.count)
    if actual != (md5, sha256, size):
        delete_quietly(location, path)
        # only the archive and import commands call this: an operator's message, not a user's
        raise ChecksumMismatch(f"the bytes written to {location.name}:{path} do not match their checksums")
    instance = FileInstance.objects.create(
        id=instance_id or uuid.uuid4(), location=location, path=path, size=size, md5=md5, sha256=sha256
    )
    if replicas_wanted():
        instance_pk = str(instance.pk)
        transaction.on_commit(lambda: tasks.replicate_instance.delay(instance_pk))
    return instance


def store_object_bytes(location: Location, path: str, data: bytes) -> FileInstance:
    """``store_object`` for small bytes in memory (checksums computed here)."""
    digests = streams.Digests()
    digests.update(data)
    md5, sha256 = digests.result()
    return store_object(location, path, _BytesReader(data), size=len(data), md5=md5, sha256=sha256)


class _BytesReader:
    def __init__(self, data: bytes):
        self.data = memoryview(data)
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size is None or size < 0 else self.offset + size
        block = bytes(self.data[self.offset : end])
        self.offset += len(block)
        return block


def delete_object_quietly(location: Location, path: str) -> None:
    """Remove bytes no row points at (an import or archive run that failed halfway)."""
    delete_quietly(location, path)
