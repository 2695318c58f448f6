"""Queueing e-mail: the web process never talks to SMTP; the Celery worker does."""

from __future__ import annotations

from django.db import transaction


def queue_email(to: list[str], subject: str, body: str, html: str | None = None) -> None:
    from repository.tasks import send_email

    recipients = [address for address in to if address]
    if not recipients:
        return
    subject = " ".join(subject.splitlines()).strip()
    transaction.on_commit(lambda: send_email.delay(recipients, subject, body, html))
