"""Background work of the curation app. Tasks take ids and are idempotent."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone, translation


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def send_notification_email(self, notification_id: int) -> bool:
    """E-mail one notification in its recipient's language, unless they turned that kind off.

    The row is claimed first (``emailed_at``), so a duplicate delivery of the task sends nothing.
    """
    from curation import notifications
    from curation.models import Notification

    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related(
        "user", "actor", "request", "request__record", "request__community"
    ).get(pk=notification_id)
    user = notification.user
    if not user.email or not user.wants_notification(notification.kind):
        return False
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = notifications.subject(notification)
        body = notifications.body(notification)
    message = EmailMessage(subject=subject, body=body, to=[user.email])
    try:
        message.send()
    except OSError as exc:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise self.retry(exc=exc)
    return True


@shared_task
def expire_requests() -> int:
    """Beat: fan out one task per open request past its expiry date."""
    from curation.services import requests_due

    ids = list(requests_due().values_list("pk", flat=True))
    for pk in ids:
        expire_request.delay(pk)
    return len(ids)


@shared_task(acks_late=True)
def expire_request(request_id: int) -> bool:
    from curation.models import InclusionRequest
    from curation.services import expire

    req = InclusionRequest.objects.filter(pk=request_id).first()
    return req is not None and expire(req)
