"""Background work for storage. Tasks take ids and are safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

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
