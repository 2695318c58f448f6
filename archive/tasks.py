"""Archive jobs: bagging changed records, nightly metadata backups and second-copy checks."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from archive import services

logger = logging.getLogger(__name__)


@shared_task
def bag_changed_records() -> int:
    """Beat job: one ``bag_record`` task per published record changed since its last bag."""
    ids = services.records_to_bag(settings.ARCHIVE_SWEEP_BATCH)
    for record_id in ids:
        _bag_on_commit(record_id)
    return len(ids)


def _bag_on_commit(record_id: int) -> None:
    transaction.on_commit(lambda: bag_record.delay(record_id))


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def bag_record(record_id: int) -> int | None:
    bag = services.bag_if_stale(record_id)
    return bag.pk if bag is not None else None


@shared_task
def backup_metadata() -> str:
    """Beat job (nightly): a dated, compressed dump of all metadata in ``BACKUP_DIR``."""
    return str(services.backup_metadata(settings.BACKUP_DIR))


@shared_task
def check_second_copies() -> int:
    """Beat job (nightly): staff are told of every file without a verified copy at a second site."""
    return services.alert_missing_second_copies()
