"""Background work for storage. Tasks take ids and are safe to run twice."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from storage import services
from storage.models import FileInstance

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def replicate_instance(self, instance_id: str) -> int:
    """Copy one file's bytes to each location where its replica is pending, verifying each copy;
    returns the copies made. A failed copy is retried with exponential backoff
    (``REPLICATION_MAX_RETRIES``, ``REPLICATION_RETRY_BACKOFF_SECONDS``); the replica stays pending, and
    the beat job ``replicate_pending`` takes it up again once the retries have run out."""
    instance = FileInstance.objects.select_related("location").filter(pk=instance_id).first()
    if instance is None:
        return 0
    outcome = services.replicate(instance, claim=self.request.id or "")
    if (
        outcome.failed
        and not self.request.is_eager
        and self.request.retries < settings.REPLICATION_MAX_RETRIES
    ):
        raise self.retry(
            countdown=services.replication_backoff(self.request.retries),
            max_retries=settings.REPLICATION_MAX_RETRIES,
        )
    return len(outcome.copied)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def verify_upload(instance_id: str, claim: str) -> bool | None:
    """The fixity check after an upload (claimed when the file was stored); True if the bytes match."""
    check = services.verify_upload(instance_id, datetime.datetime.fromisoformat(claim))
    return None if check is None else check.ok


@shared_task(acks_late=True, reject_on_worker_lost=True)
def replicate_pending() -> int:
    """Beat job: copy the replicas still pending after ``REPLICATION_PENDING_MINUTES``; returns the files."""
    ids = services.pending_replication()
    for instance_id in ids:
        replicate_instance.delay(instance_id)
    return len(ids)


@shared_task
def remove_stale_uploads() -> int:
    """Beat job: remove unfinished uploads untouched for 24 hours, with their bytes."""
    removed = services.remove_stale_uploads()
    if removed:
        logger.info("removed %s stale uploads", removed)
    return removed


@shared_task(acks_late=True, reject_on_worker_lost=True)
def fixity_sweep() -> int:
    """Beat job: claim the files due for a fixity check and hand them to one task; returns how many."""
    ids, claim = services.claim_fixity_batch()
    if ids and claim is not None:
        transaction.on_commit(lambda: verify_instances.delay(ids, claim.isoformat()))
    return len(ids)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def verify_instances(instance_ids: list[str], claim: str) -> int:
    """Check (and repair) the files one sweep claimed; a file already done is skipped. Returns failures."""
    claimed_at = datetime.datetime.fromisoformat(claim)
    failures = 0
    for instance_id in instance_ids:
        outcome = services.check_claimed(instance_id, claimed_at)
        if outcome is not None and outcome.failed:
            failures += 1
    return failures
