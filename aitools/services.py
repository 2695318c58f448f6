"""Verbs of the AI tools app: profiling stored tables (columns for Croissant RecordSets)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from aitools import tabular
from aitools.models import FileProfile
from storage.models import FileInstance, FileVersion

logger = logging.getLogger(__name__)


def _table_versions() -> QuerySet[FileVersion]:
    condition = Q()
    for extension in tabular.FORMATS:
        condition |= Q(file__key__iendswith=extension)
    return FileVersion.objects.filter(condition, file__removed=False)


def unprofiled_tables(limit: int) -> list[tuple[uuid.UUID, str]]:
    """(instance id, a key it is stored under) of tables no profile describes yet, oldest first."""
    rows = (
        _table_versions()
        .exclude(instance_id__in=FileProfile.objects.values("instance_id"))
        .order_by("created")
        .values_list("instance_id", "file__key")[: limit * 4]
    )
    seen: dict[uuid.UUID, str] = {}
    for instance_id, key in rows:
        seen.setdefault(instance_id, key)
    return list(seen.items())[:limit]


def profile_instance(instance_id: uuid.UUID | str, key: str) -> FileProfile | None:
    """Read the first rows of a stored table and keep its columns; the existing profile if any."""
    instance_id = uuid.UUID(str(instance_id))
    existing = FileProfile.objects.filter(instance_id=instance_id).first()
    if existing is not None:
        return existing
    fmt = tabular.table_format(key)
    instance = FileInstance.objects.select_related("location").filter(pk=instance_id).first()
    if fmt is None or instance is None or instance.damaged:
        return None
    backend = instance.location.backend()

    def read(start: int, length: int) -> bytes:
        with backend.open_read(instance.path, start, length) as stream:
            return _read_all(stream, length)

    columns: list[dict] = []
    error = ""
    try:
        columns = tabular.read_columns(
            fmt,
            read,
            instance.size,
            max_bytes=settings.CROISSANT_PROFILE_MAX_BYTES,
            max_rows=settings.CROISSANT_PROFILE_MAX_ROWS,
        )
    except tabular.NotATable as exc:
        error = str(exc)[:255]
    try:
        with transaction.atomic():
            return FileProfile.objects.create(instance=instance, format=fmt, columns=columns, error=error)
    except IntegrityError:  # another worker profiled the same bytes meanwhile
        return FileProfile.objects.filter(instance_id=instance_id).first()


def _read_all(stream: Any, length: int) -> bytes:
    parts, remaining = [], length
    while remaining > 0:
        block = stream.read(min(remaining, 1 << 20))
        if not block:
            break
        parts.append(bytes(block))
        remaining -= len(block)
    return b"".join(parts)


def profiles_for(instance_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, FileProfile]:
    """The profiles of these instances, by instance id (one query)."""
    return {p.instance_id: p for p in FileProfile.objects.filter(instance_id__in=list(instance_ids))}
