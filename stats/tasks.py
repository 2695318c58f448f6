"""Background work of the statistics app. Tasks are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from stats import services


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=30, max_retries=5)
def aggregate() -> int:
    """Beat job: sum the events of yesterday and today into daily rows, drop older events and salts."""
    return services.aggregate()
