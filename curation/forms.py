from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from curation.checks import ACCESS_LABELS, RULES, rule_config
from curation.models import CheckStatus, Organisation, RequestKind, RequestState
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

    def clean(self):
        data = super().clean()
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
        label=_("Kind"), required=False, choices=[("", _("All kinds"))] + RequestKind.choices
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
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)
    message = forms.CharField(
        label=_("Message to the curators (optional)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = (
            communities if communities is not None else Community.objects.all()
        )
        self.fields["community"].to_field_name = "slug"


class CheckRulesForm(forms.Form):
    """A community's configuration of the automated checks (owners edit it on the community's edit page)."""

    affiliation_enabled = forms.BooleanField(label=_("Check affiliations"), required=False)
    affiliation_city = forms.ChoiceField(
        label=_("Organisations of"), help_text=_("The registry's city the affiliations are matched against.")
    )
    language_enabled = forms.BooleanField(label=_("Check the language"), required=False)
    language_languages = forms.CharField(
        label=_("Accepted languages"),
        max_length=200,
        help_text=_("ISO 639-3 codes separated by commas, e.g. eng, swe."),
    )
    access_enabled = forms.BooleanField(label=_("Check access and licence"), required=False)
    access_access_rights = forms.MultipleChoiceField(
        label=_("Accepted access rights"),
        choices=[(key, label) for key, label in ACCESS_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    access_require_license = forms.BooleanField(label=_("Require a licence for open files"), required=False)
    size_enabled = forms.BooleanField(
        label=_("Check the size limit"),
        required=False,
        help_text=_("The limit is the community's size limit above."),
    )

    def __init__(self, *args, community=None, **kwargs):
        if community is not None and "initial" not in kwargs:
            config = rule_config(community)
            kwargs["initial"] = {
                "affiliation_enabled": config["affiliation"]["enabled"],
                "affiliation_city": config["affiliation"]["city"],
                "language_enabled": config["language"]["enabled"],
                "language_languages": ", ".join(config["language"]["languages"]),
                "access_enabled": config["access"]["enabled"],
                "access_access_rights": config["access"]["access_rights"],
                "access_require_license": config["access"]["require_license"],
                "size_enabled": config["size"]["enabled"],
            }
        super().__init__(*args, **kwargs)
        cities = sorted(set(Organisation.objects.filter(active=True).values_list("city", flat=True))) or [
            "Stockholm"
        ]
        self.fields["affiliation_city"].choices = [(c, c) for c in cities]

    def clean_language_languages(self):
        import pycountry

        codes = [
            c.strip().lower()
            for c in re.split(r"[,\s]+", self.cleaned_data["language_languages"])
            if c.strip()
        ]
        if not codes:
            raise ValidationError(_("Give at least one language."))
        for code in codes:
            if not re.fullmatch(r"[a-z]{3}", code) or pycountry.languages.get(alpha_3=code) is None:
                raise ValidationError(
                    _("“%(code)s” is not an ISO 639-3 language code."), params={"code": code}
                )
        return list(dict.fromkeys(codes))

    def rules(self) -> dict:
        data = self.cleaned_data
        return {
            "affiliation": {"enabled": data["affiliation_enabled"], "city": data["affiliation_city"]},
            "language": {"enabled": data["language_enabled"], "languages": data["language_languages"]},
            "access": {
                "enabled": data["access_enabled"],
                "access_rights": data["access_access_rights"],
                "require_license": data["access_require_license"],
            },
            "size": {"enabled": data["size_enabled"]},
        }

    @staticmethod
    def rule_labels():
        return {key: rule.label for key, rule in RULES.items()}
