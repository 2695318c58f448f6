"""Previews of stored files: making them (``make_preview``, run by a task per new file version),
scheduling (``schedule_previews``, ``schedule_bucket_previews``, the ``sweep_previews`` beat job) and
reading them (``previews_for_versions``, ``preview_object``, ``read_preview``, ``tabular_schema``,
``tabular_schemas``).

Each derivative is a separate stored object (``storage.services.store_loose_object``); the source is only
read, in a child process bounded by ``PREVIEW_TIMEOUT_S`` and ``PREVIEW_MAX_MEMORY_MB``. A file that
cannot be previewed gets a failed ``Preview`` that says why, and is not tried again.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from previews import render, sandbox, tasks
from previews.formats import TABULAR, all_suffixes, renderer_for
from previews.models import Preview, PreviewObject, PreviewState
from storage import services as storage_services
from storage.backends import BackendError
from storage.models import FileVersion

logger = logging.getLogger(__name__)


def schedule_previews(version_ids: Iterable[int]) -> None:
    """Make the previews of these file versions in the background, once the transaction commits."""
    ids = list(version_ids)
    transaction.on_commit(lambda: [tasks.make_preview_task.delay(pk) for pk in ids])


def schedule_bucket_previews(bucket_id: int) -> None:
    """Make the previews a bucket's versions still lack (after a publish), once the transaction commits."""
    transaction.on_commit(lambda: tasks.preview_bucket_task.delay(bucket_id))


def _previewable() -> str:
    return r"(" + "|".join(re.escape(s) for s in all_suffixes()) + r")$"


def versions_without_preview(bucket_id: int | None = None) -> QuerySet[FileVersion]:
    """File versions of a previewable format that have no preview yet."""
    versions = FileVersion.objects.filter(preview__isnull=True, file__key__iregex=_previewable())
    if bucket_id is not None:
        versions = versions.filter(file__bucket_id=bucket_id)
    return versions.order_by("pk")


def _stale_before() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=2 * float(settings.PREVIEW_TIMEOUT_S) + 300)


def _claim(version: FileVersion, renderer: str) -> Preview | None:
    """The preview row this call may fill in, or None when another run has it or it is done."""
    preview, created = Preview.objects.get_or_create(
        version=version,
        defaults={"renderer": renderer, "source_sha256": version.instance.sha256},
    )
    if created:
        return preview
    # a worker that died mid-run leaves its claim: taken over, a bounded number of times
    taken = Preview.objects.filter(
        pk=preview.pk,
        state=PreviewState.RUNNING,
        created__lt=_stale_before(),
        attempts__lt=settings.PREVIEW_MAX_ATTEMPTS,
    ).update(attempts=F("attempts") + 1, created=timezone.now())
    return Preview.objects.get(pk=preview.pk) if taken else None


def _fail(preview: Preview, reason: str) -> Preview:
    preview.state = PreviewState.FAILED
    preview.reason = reason[:1000]
    preview.finished = timezone.now()
    preview.save(update_fields=["state", "reason", "finished"])
    logger.info("no preview for version %s: %s", preview.version_id, reason)
    return preview


def make_preview(version_id: int) -> Preview | None:
    """Make the derivatives of one file version (idempotent). None when its format has no preview."""
    version = FileVersion.objects.select_related("file", "instance__location").filter(pk=version_id).first()
    if version is None:
        return None
    renderer = renderer_for(version.file.key)
    if renderer is None:
        return None
    preview = _claim(version, renderer)
    if preview is None:
        return Preview.objects.filter(version=version).first()
    instance = version.instance
    if instance.size > settings.PREVIEW_MAX_SOURCE_MB * 1024 * 1024:
        return _fail(preview, f"larger than {settings.PREVIEW_MAX_SOURCE_MB} MB")
    if instance.damaged:
        return _fail(preview, "the file is damaged")
    try:
        with storage_services.local_copy(instance) as path:
            rendered = sandbox.render(path, renderer)
    except sandbox.RenderFailed as exc:
        return _fail(preview, str(exc))
    except (OSError, BackendError) as exc:
        return _fail(preview, f"could not read the file: {exc}")
    try:
        return _store(preview, rendered)
    except Exception as exc:  # a bug here must leave a failed row, not a run that looks alive
        logger.exception("storing the preview of version %s failed", version_id)
        return _fail(Preview.objects.get(pk=preview.pk), f"could not store the preview: {type(exc).__name__}")


def _store(preview: Preview, rendered: sandbox.Rendered) -> Preview:
    with transaction.atomic():
        for kind, (mimetype, data) in rendered.objects.items():
            PreviewObject.objects.create(
                preview=preview,
                kind=kind,
                mimetype=mimetype,
                instance=storage_services.store_loose_object(data),
            )
        preview.state = PreviewState.READY
        preview.tool, preview.tool_version = rendered.tool, rendered.tool_version
        preview.data = rendered.data
        preview.finished = timezone.now()
        preview.save(update_fields=["state", "tool", "tool_version", "data", "finished"])
    return preview


def remove_orphans() -> int:
    """Remove the previews (and their objects) of versions that are gone."""
    removed = 0
    for preview in Preview.objects.filter(version__isnull=True).prefetch_related("derivatives__instance"):
        with transaction.atomic():
            objects = list(preview.derivatives.all())
            preview.delete()
            for item in objects:
                storage_services.delete_object(item.instance)
        removed += 1
    return removed


def sweep_previews(batch: int | None = None) -> list[int]:
    """Beat job: the ids of versions whose preview is missing or whose run died (to be made)."""
    batch = batch or settings.PREVIEW_SWEEP_BATCH
    remove_orphans()
    Preview.objects.filter(
        state=PreviewState.RUNNING, created__lt=_stale_before(), attempts__gte=settings.PREVIEW_MAX_ATTEMPTS
    ).update(
        state=PreviewState.FAILED,
        reason=f"the worker stopped during each of {settings.PREVIEW_MAX_ATTEMPTS} runs",
        finished=timezone.now(),
    )
    missing = list(versions_without_preview().values_list("pk", flat=True)[:batch])
    stale = Preview.objects.filter(
        state=PreviewState.RUNNING,
        created__lt=_stale_before(),
        attempts__lt=settings.PREVIEW_MAX_ATTEMPTS,
        version__isnull=False,
    ).values_list("version_id", flat=True)[:batch]
    return missing + [pk for pk in stale if pk is not None]


# --- reading ----------------------------------------------------------------------------------


def previews_for_versions(version_ids: Iterable[int]) -> dict[int, Preview]:
    """Ready previews by version id, with their objects (one query each)."""
    previews = Preview.objects.filter(version_id__in=list(version_ids), state=PreviewState.READY)
    return {
        p.version_id: p
        for p in previews.prefetch_related("derivatives__instance__location")
        if p.version_id is not None
    }


def preview_object(version: FileVersion, kind: str) -> PreviewObject | None:
    return (
        PreviewObject.objects.select_related("instance__location", "preview")
        .filter(preview__version=version, preview__state=PreviewState.READY, kind=kind)
        .first()
    )


def read_preview(item: PreviewObject) -> bytes:
    return storage_services.read_object(item.instance)


INLINE_HTML_MAX_BYTES = 512 * 1024


def preview_html(item: PreviewObject) -> str:
    """An HTML preview for inclusion in a page (sanitised again as it is read), or "" if too large."""
    if item.mimetype != "text/html" or item.instance.size > INLINE_HTML_MAX_BYTES:
        return ""
    return render.sanitise(read_preview(item).decode("utf-8", "replace"))


def tabular_schema(file_version_id: int) -> dict | None:
    """The columns (name and type) and first rows of a CSV, TSV, Parquet or JSON-lines file version:
    ``{"format": "csv", "columns": [{"name": ..., "type": ...}], "rows": [[...], ...], ...}``.

    Types are Apache Arrow's names (``int64``, ``double``, ``string``, ``bool``, ``timestamp[s]``…),
    inferred from the first rows for CSV, TSV and JSON lines, and read from the file for Parquet
    (``row_count`` is then the file's). None when the version has no ready tabular preview.
    """
    return tabular_schemas([file_version_id]).get(file_version_id)


def tabular_schemas(file_version_ids: Iterable[int]) -> dict[int, dict]:
    """``tabular_schema`` of many file versions at once (one query), by version id; versions without
    a ready tabular preview are left out."""
    previews = Preview.objects.filter(
        version_id__in=list(file_version_ids), state=PreviewState.READY, renderer__in=TABULAR
    ).only("version_id", "renderer", "data")
    return {p.version_id: {**p.data, "format": p.renderer} for p in previews if p.version_id is not None}
