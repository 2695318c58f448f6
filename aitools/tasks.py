"""Background work of the AI tools app. Tasks take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from aitools import services


@shared_task(acks_late=True)
def profile_file(instance_id: str, key: str) -> bool:
    """Read a stored table's first rows and keep its columns (for Croissant RecordSets)."""
    return services.profile_instance(instance_id, key) is not None


@shared_task
def profile_new_tables() -> int:
    """Beat job: profile the tables uploaded since the last sweep (a bounded batch each time)."""
    pending = services.unprofiled_tables(settings.CROISSANT_PROFILE_BATCH)
    for instance_id, key in pending:
        profile_file.delay(str(instance_id), key)
    return len(pending)
