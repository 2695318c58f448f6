from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from axes.signals import user_locked_out

        from accounts import schema  # noqa: F401  (registers the OpenAPI extension)
        from accounts.ratelimit import record_lockout

        def on_locked_out(sender, request=None, username=None, **kwargs):
            if request is not None:
                record_lockout(request, username)

        user_locked_out.connect(on_locked_out, dispatch_uid="accounts.record_lockout", weak=False)
