"""Queueing e-mail: the web process never talks to SMTP; the Celery worker does."""

from __future__ import annotations

from django.db import transaction

from mail.tasks import send_email


def queue_email(to: list[str], subject: str, body: str, html: str | None = None) -> None:
    recipients = [address for address in to if address]
    if not recipients:
        return
    subject = " ".join(subject.splitlines()).strip()
    transaction.on_commit(lambda: send_email.delay(recipients, subject, body, html))
