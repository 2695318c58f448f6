from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from curation.models import CheckStatus, RequestKind, RequestState
from curation.rules import RULES, rule_config
from records.models import Record


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Plain text, or simple HTML: bold, italics, lists, links."),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for declining"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the record's owner."),
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RemoveForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for removal"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the record's owner. The record stays published on the site."),
    )


class BulkForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"), choices=[("accept", _("Accept")), ("decline", _("Decline"))]
    )
    reason = forms.CharField(
        label=_("Reason (required to decline)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("action") == "decline" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for declining: the records' owners will see it."))
        return data


AGE_CHOICES = [
    ("", _("Any age")),
    ("7", _("Older than 7 days")),
    ("30", _("Older than 30 days")),
    ("new", _("Newer than 7 days")),
]


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Open"))]
        + [(value, label) for value, label in RequestState.choices if value != RequestState.SUBMITTED]
        + [("all", _("All"))],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *RequestKind.choices]
    )
    checks = forms.ChoiceField(
        label=_("Checks"),
        required=False,
        choices=[
            ("", _("Any result")),
            (CheckStatus.FAIL, _("Failing a check")),
            (CheckStatus.UNKNOWN, _("Some unknown, none failing")),
            (CheckStatus.PASS, _("Passing all checks")),
        ],
    )
    age = forms.ChoiceField(label=_("Age"), required=False, choices=AGE_CHOICES)
    q = forms.CharField(label=_("Title contains"), required=False, max_length=200)


class InviteForm(forms.Form):
    record = forms.CharField(
        label=_("Record"),
        max_length=500,
        help_text=_("The record's number, its address on this site, or its DOI."),
    )
    message = forms.CharField(
        label=_("Message to the owner (optional)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_record(self):
        value = self.cleaned_data["record"].strip()
        match = re.search(r"/records/(\d+)", value) or re.fullmatch(r"#?(\d+)", value)
        record = None
        if match:
            record = Record.objects.published().filter(pk=int(match.group(1))).first()
        else:
            doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", value, flags=re.IGNORECASE)
            record = Record.objects.published().filter(doi__iexact=doi).first()
        if record is None:
            raise ValidationError(_("No published record matches “%(value)s”."), params={"value": value})
        return record


class RequestInclusionForm(forms.Form):
    community: forms.ModelChoiceField[Community] = forms.ModelChoiceField(
        label=_("Community"), queryset=None, empty_label=None
    )
    message = forms.CharField(
        label=_("Message to the curators (optional)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, communities: QuerySet[Community] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[Community]", self.fields["community"])
        field.queryset = communities if communities is not None else Community.objects.all()
        field.to_field_name = "slug"


class CheckRulesForm:
    """A community's configuration of the automated checks (owners edit it on the community's edit page).

    Built from the registered rules: one settings form per rule (``Rule.form_class``), its fields
    posted as ``<prefix>-<rule key>_<field>``, shown together in the rules' order.
    """

    legend = _("Automated policy checks")
    intro = _("Shown to curators beside each request as pass, fail or unknown. They inform; curators decide.")

    def __init__(self, data=None, *, community=None, prefix: str | None = None):
        config = rule_config(community) if community is not None else {}
        self.prefix = prefix
        self.forms = {
            key: rule.form_class(
                data,
                prefix=f"{prefix}-{key}" if prefix else key,
                initial=rule.form_class.initial_from(config[key]) if key in config else None,
            )
            for key, rule in RULES.items()
        }

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self.forms.values()])  # every form, so each has its errors

    @property
    def errors(self) -> dict:
        """``{posted field name: errors}`` over every rule's form."""
        return {
            form.add_prefix(name): errors
            for form in self.forms.values()
            for name, errors in form.errors.items()
        }

    def non_field_errors(self) -> forms.utils.ErrorList:
        errors = forms.utils.ErrorList()
        for form in self.forms.values():
            errors.extend(form.non_field_errors())
        return errors

    def hidden_fields(self) -> list:
        return [field for form in self.forms.values() for field in form.hidden_fields()]

    def visible_fields(self) -> list:
        return [field for form in self.forms.values() for field in form.visible_fields()]

    def __iter__(self):
        return iter([field for form in self.forms.values() for field in form])

    def rules(self) -> dict:
        """What ``Community.check_rules`` stores: ``{rule key: its form's config()}``."""
        return {key: form.config() for key, form in self.forms.items()}

    def settings(self) -> dict:
        """The keyword arguments of ``communities.services.update_community`` this form sets."""
        return {"check_rules": self.rules()}

    @staticmethod
    def rule_labels():
        return {key: rule.label for key, rule in RULES.items()}


def check_rules_form(data, community) -> CheckRulesForm:
    """The rules form on the community edit page (registered with ``communities.extensions``)."""
    return CheckRulesForm(data, community=community, prefix="rules")
