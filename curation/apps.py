from django.apps import AppConfig

from communities.extensions import register_edit_form


class CurationConfig(AppConfig):
    name = "curation"

    def ready(self) -> None:
        # curation's forms import its models, which exist only once the app registry is ready
        from curation.forms import check_rules_form

        register_edit_form(check_rules_form)
