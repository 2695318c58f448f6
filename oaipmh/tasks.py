"""Background work of the OAI-PMH app. Tasks take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=30, max_retries=5)
def render_record(record_id: int) -> list[str]:
    """Render and store the record's payload in every format (or drop it once withdrawn)."""
    from oaipmh import services

    return sorted(services.render_record(record_id))
