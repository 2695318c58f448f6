"""Background work for storage. Tasks take ids and are safe to run twice."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.db import transaction

from storage import services
from storage.backends import BackendError
from storage.models import FileInstance

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError, BackendError),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=10,
)
def replicate_instance(self, instance_id: str) -> int:
    """Copy one published file's bytes to every other location; returns the copies made."""
    instance = FileInstance.objects.select_related("location").filter(pk=instance_id).first()
    if instance is None:
        return 0
    return len(services.replicate(instance))


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
