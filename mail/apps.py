from django.apps import AppConfig


class MailConfig(AppConfig):
    """Queued e-mail: the web process never talks to SMTP; the worker's ``send_email`` task does."""

    name = "mail"
    verbose_name = "Mail"
