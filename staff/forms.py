"""Forms of the staff desk."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from records.models import WithdrawalReason

NOTE_WIDGET = forms.Textarea(attrs={"rows": 3})


class ProposeForm(forms.Form):
    """Staff propose a withdrawal to the owners, or (legal takedowns and spam) withdraw at once."""

    record = forms.IntegerField(label=_("Record id"), min_value=1)
    reason = forms.ChoiceField(label=_("Reason"), choices=WithdrawalReason.choices)
    note = forms.CharField(
        label=_("Note"),
        help_text=_("The owners read it; once the record is withdrawn it is shown on the tombstone page."),
        widget=NOTE_WIDGET,
        max_length=5000,
        error_messages={"required": _("Write a note: the owners read it.")},
    )
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            ("propose", _("Ask the owners for consent")),
            ("withdraw", _("Withdraw at once (legal takedowns and spam only)")),
        ],
        widget=forms.RadioSelect,
        initial="propose",
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Withdraw the record")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    reason = forms.ChoiceField(label=_("Reason shown on the tombstone"), choices=WithdrawalReason.choices)
    note = forms.CharField(
        label=_("Note"),
        help_text=_(
            "Withdrawing: the note on the tombstone (empty: the request's own text). Refusing: the reason the owner reads."
        ),
        widget=NOTE_WIDGET,
        required=False,
        max_length=5000,
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("decision") == "refuse" and not (data.get("note") or "").strip():
            self.add_error("note", _("Give the reason for the refusal: the owner reads it."))
        return data


class ReinstateForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=NOTE_WIDGET, required=False, max_length=5000)


class QuotaDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Grant")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    granted_gb = forms.DecimalField(
        label=_("Grant (GB)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=3,
        help_text=_("Empty: what was asked."),
    )
    note = forms.CharField(label=_("Note to the owner"), widget=NOTE_WIDGET, required=False, max_length=5000)

    def clean(self):
        data = super().clean() or {}
        if data.get("decision") == "refuse" and not (data.get("note") or "").strip():
            self.add_error("note", _("Give the reason for the refusal: the owner reads it."))
        return data


class TombstoneFilterForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", _("Any")), *WithdrawalReason.choices], required=False
    )
    since = forms.DateField(
        label=_("Withdrawn since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Withdrawn until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    record = forms.IntegerField(label=_("Record id"), required=False, min_value=1)


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor (username)"), required=False, max_length=150)
    verb = forms.CharField(label=_("Verb"), required=False, max_length=64)
    object = forms.CharField(
        label=_("Object"),
        required=False,
        max_length=130,
        help_text=_("A type (records.record) or type:id (records.record:42)."),
    )
    since = forms.DateField(label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
