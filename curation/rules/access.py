"""Access and licence: the access right is one the community accepts, and public files have a licence."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from curation.models import CheckStatus
from curation.rules.base import Rule, RuleSettingsForm, register

ACCESS_LABELS = {
    "open": _("open access"),
    "embargoed": _("embargoed"),
    "restricted": _("restricted"),
    "closed": _("closed access"),
}


class AccessForm(RuleSettingsForm):
    enabled = forms.BooleanField(label=_("Check access and licence"), required=False)
    access_rights = forms.MultipleChoiceField(
        label=_("Accepted access rights"),
        choices=[(key, label) for key, label in ACCESS_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    require_license = forms.BooleanField(label=_("Require a licence for open files"), required=False)


@register
class AccessRule(Rule):
    key = "access"
    label = _("Access and licence")
    help = _("The access right is one the community accepts, and public files have a licence.")
    defaults = {"access_rights": ["open"], "require_license": True}
    form_class = AccessForm
    order = 30
    reasons = {
        "access.ok": _("Open access under the licence %(license)s."),
        "access.ok_no_license_needed": _("Access: %(access)s."),
        "access.not_allowed": _("The files are %(access)s; this community accepts %(allowed)s."),
        "access.no_license": _("The files are %(access)s but the record has no licence."),
    }

    def run(self, record, community, params):
        allowed = params.get("access_rights") or self.defaults["access_rights"]
        require_license = params.get("require_license", self.defaults["require_license"])
        access = record.metadata.get("access_right") or "open"
        license_id = record.metadata.get("license", "")
        label = str(ACCESS_LABELS.get(access, access))
        if access not in allowed:
            names = ", ".join(str(ACCESS_LABELS.get(a, a)) for a in allowed)
            return self.result(CheckStatus.FAIL, "access.not_allowed", access=label, allowed=names)
        if access in ("open", "embargoed") and require_license and not license_id:
            return self.result(CheckStatus.FAIL, "access.no_license", access=label)
        if license_id:
            return self.result(CheckStatus.PASS, "access.ok", license=license_id)
        return self.result(CheckStatus.PASS, "access.ok_no_license_needed", access=label)
