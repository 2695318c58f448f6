from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def send_email(self, to: list[str], subject: str, body: str, html: str | None = None) -> int:
    """Deliver one e-mail with the worker's configured backend; retried on SMTP trouble."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    try:
        return message.send()
    except OSError as exc:
        raise self.retry(exc=exc)
