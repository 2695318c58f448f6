"""System checks for the OAI-PMH endpoint's configuration."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning


def check_admin_email(app_configs, **kwargs) -> list[Warning]:
    from oaipmh.verbs.identify import EMAIL_RE

    if EMAIL_RE.fullmatch(settings.ADMIN_EMAIL or ""):
        return []
    return [
        Warning(
            f"ADMIN_EMAIL={settings.ADMIN_EMAIL!r} is not an address OAI-PMH accepts (local@domain.tld): "
            "Identify shows a placeholder under .invalid instead.",
            hint="Set STAFF_EMAILS (its first address is the OAI-PMH adminEmail) or ADMIN_EMAIL.",
            id="oaipmh.W001",
        )
    ]
