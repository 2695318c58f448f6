"""Background work for records. Tasks take ids and are safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from records.doi import DOIError, get_provider
from records.models import Record

logger = logging.getLogger(__name__)
RENDER_BATCH = 500


@shared_task(bind=True, acks_late=True, autoretry_for=(DOIError,), retry_backoff=60, retry_backoff_max=3600,
             max_retries=10)  # fmt: skip
def register_doi(self, record_id: int) -> None:
    """Register a newly published record's DOI with the provider (a no-op for local DOIs)."""
    record = Record.objects.filter(pk=record_id).exclude(doi="").first()
    if record is None or record.doi_is_external:
        return
    get_provider().register(record)


@shared_task(bind=True, acks_late=True, autoretry_for=(DOIError,), retry_backoff=60, retry_backoff_max=3600,
             max_retries=10)  # fmt: skip
def update_doi(self, record_id: int) -> None:
    """Send the record's current metadata and URL to the provider (after edits and withdrawal)."""
    record = Record.objects.filter(pk=record_id).exclude(doi="").first()
    if record is None or record.doi_is_external:
        return
    get_provider().update(record)


@shared_task(acks_late=True)
def render_oai_payloads(record_ids: list[int]) -> int:
    """OAI-PMH payloads of many records at once (bulk-seeded ones), in batches; returns how many.

    The same rendering as ``oaipmh.tasks.render_record`` after a deposit, as one task per batch.
    """
    try:
        from oaipmh.services import rerender_records
    except ImportError:
        return 0
    done = 0
    for start in range(0, len(record_ids), RENDER_BATCH):
        done += rerender_records(record_ids[start : start + RENDER_BATCH])[0]
    return done


@shared_task
def lift_embargoes() -> int:
    """Beat job: fan out one task per record whose embargo has ended."""
    from records.services import embargoes_due

    ids = list(embargoes_due().values_list("pk", flat=True))
    for record_id in ids:
        lift_embargo.delay(record_id)
    return len(ids)


@shared_task(acks_late=True)
def lift_embargo(record_id: int) -> bool:
    from records.services import lift_embargo as lift

    record = Record.objects.filter(pk=record_id).first()
    if record is None:
        return False
    lifted = lift(record, actor=None)
    if lifted:
        logger.info("embargo lifted on record %s", record_id)
    return lifted
