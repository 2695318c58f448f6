"""Background work for records. Tasks take ids and are safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from records import services, withdrawals
from records.doi import DOIError, get_provider
from records.models import Record

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(DOIError,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=10,
)
def register_doi(self, record_id: int) -> None:
    """Register a newly published record's DOI with the provider (a no-op for local DOIs)."""
    record = Record.objects.filter(pk=record_id).exclude(doi="").first()
    if record is None or record.doi_is_external:
        return
    get_provider().register(record)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(DOIError,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=10,
)
def update_doi(self, record_id: int) -> None:
    """Send the record's current metadata and URL to the provider (after edits and withdrawal)."""
    record = Record.objects.filter(pk=record_id).exclude(doi="").first()
    if record is None or record.doi_is_external:
        return
    get_provider().update(record)


@shared_task
def lift_embargoes() -> int:
    """Beat job: fan out one task per record whose embargo has ended."""
    ids = list(services.embargoes_due().values_list("pk", flat=True))
    for record_id in ids:
        lift_embargo.delay(record_id)
    return len(ids)


@shared_task(acks_late=True)
def lift_embargo(record_id: int) -> bool:
    record = Record.objects.filter(pk=record_id).first()
    if record is None:
        return False
    lifted = services.lift_embargo(record, actor=None)
    if lifted:
        logger.info("embargo lifted on record %s", record_id)
    return lifted


@shared_task
def mark_overdue_proposals() -> int:
    """Beat job: withdrawal proposals past their consent deadline show “no answer” to staff."""
    return withdrawals.mark_overdue_proposals()
