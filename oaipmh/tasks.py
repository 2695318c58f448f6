"""Background work of the OAI-PMH app. Tasks take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from oaipmh import services


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=30, max_retries=5)
def render_record(record_id: int) -> list[str]:
    """Render and store the record's payload in every format (or drop it once withdrawn)."""
    return sorted(services.render_record(record_id))


RENDER_BATCH = 500


@shared_task(acks_late=True)
def render_stale() -> int:
    """Beat job: find records whose payloads are missing or stale, one render task per batch."""
    ids = services.stale_record_ids()
    for start in range(0, len(ids), RENDER_BATCH):
        render_stale_batch.delay(ids[start : start + RENDER_BATCH])
    return len(ids)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=30, max_retries=5)
def render_stale_batch(record_ids: list[int]) -> int:
    return services.render_stale_batch(record_ids)
