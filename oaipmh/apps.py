from django.apps import AppConfig


class OaipmhConfig(AppConfig):
    name = "oaipmh"

    def ready(self) -> None:
        from django.core import checks

        from oaipmh.checks import check_admin_email

        checks.register(check_admin_email)
