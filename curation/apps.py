from django.apps import AppConfig


class CurationConfig(AppConfig):
    name = "curation"

    def ready(self):
        from communities.extensions import register_edit_form
        from curation.forms import check_rules_form

        register_edit_form(check_rules_form)
