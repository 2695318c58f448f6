"""Background work for previews. Tasks take ids, are safe to run twice and are never retried: a file
that cannot be previewed gets a failed preview that says why."""

from __future__ import annotations

from celery import shared_task

from previews import services


@shared_task(acks_late=True, max_retries=0)
def make_preview_task(version_id: int) -> str:
    preview = services.make_preview(version_id)
    return preview.state if preview is not None else "none"


@shared_task(acks_late=True, max_retries=0)
def preview_bucket_task(bucket_id: int) -> int:
    """Fan out one task per version of the bucket that has no preview yet."""
    ids = list(services.versions_without_preview(bucket_id).values_list("pk", flat=True))
    for version_id in ids:
        make_preview_task.delay(version_id)
    return len(ids)


@shared_task
def sweep_previews() -> int:
    """Beat job: previews missing (a version stored by a path that does not schedule them) or whose
    worker died are made, a batch at a time."""
    ids = services.sweep_previews()
    for version_id in ids:
        make_preview_task.delay(version_id)
    return len(ids)
