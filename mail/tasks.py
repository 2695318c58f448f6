import logging

from celery import shared_task
from django.core.mail import EmailMultiAlternatives

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def send_email(self, to: list[str], subject: str, body: str, html: str | None = None) -> int:
    """Deliver one e-mail with the worker's configured backend; retried on SMTP trouble."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    try:
        return message.send()
    except OSError as exc:
        # Recipients are counted, not named: addresses are personal data and logs travel far.
        retries = self.request.retries
        if self.max_retries is not None and retries >= self.max_retries:
            logger.error(
                "mail [%s] to %d recipient(s) not sent, giving up after %d retries: %s",
                self.request.id,
                len(to),
                retries,
                exc,
            )
        else:
            logger.warning(
                "mail [%s] to %d recipient(s) not sent (%s): retry %d of %s",
                self.request.id,
                len(to),
                exc,
                retries + 1,
                self.max_retries,
            )
        raise self.retry(exc=exc)
