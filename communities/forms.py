from __future__ import annotations

from decimal import Decimal
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.services import find_user
from communities.models import Community, MemberRole, Visibility
from communities.services import CommunityError, resize_logo

# Words a community slug may not be: they are (or may become) paths beside /communities/<slug>/,
# or would read as a site function in /communities/<slug>/ and the OAI-PMH set user-<slug>.
RESERVED_SLUGS = {
    "new",
    "edit",
    "members",
    "curation",
    "logo",
    "api",
    "admin",
    "static",
    "media",
    "accounts",
    "records",
    "uploads",
    "search",
    "requests",
    "inbox",
    "staff",
    "oai2d",
    "oai",
    "doi",
    "healthz",
    "policies",
    "i18n",
    "communities",
    "community",
    "all",
    "user",
    "users",
    "settings",
    "help",
    "about",
    "login",
    "logout",
}
GB = Decimal(10**9)


class CommunityForm(forms.ModelForm):
    website = forms.URLField(label=_("Website"), required=False, max_length=200, assume_scheme="https")
    size_limit_gb = forms.DecimalField(
        label=_("Size limit per record (GB)"),
        required=False,
        min_value=Decimal("0.001"),
        max_digits=12,
        decimal_places=3,
        help_text=_("Total size of a record's files. Leave empty for no limit."),
    )
    logo_upload = forms.ImageField(
        label=_("Logo"), required=False, help_text=_("PNG, JPEG, GIF or WebP; shown at most 300×300 pixels.")
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = Community
        fields = ["slug", "title", "description", "curation_policy", "website", "page_content", "visibility"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "curation_policy": forms.Textarea(attrs={"rows": 4}),
            "page_content": forms.Textarea(attrs={"rows": 8}),
        }

        help_texts = {
            "slug": _(
                "Lowercase letters, digits and hyphens; part of the page's address and the OAI-PMH set name."
            ),
            "page_content": _("Rich text (HTML): headings, lists, links, images. Scripts are removed."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["slug"]  # the address and OAI-PMH set never change
            limit = self.instance.size_limit_bytes
            # "50", not "5E+1": normalize() alone gives the exponent form for round numbers.
            self.fields["size_limit_gb"].initial = (
                format((Decimal(limit) / GB).normalize(), "f") if limit else None
            )
            if not self.instance.logo:
                del self.fields["remove_logo"]
        else:
            self.fields["size_limit_gb"].initial = 50
            del self.fields["remove_logo"]
        self.fields["visibility"].initial = Visibility.PUBLIC

    def clean_slug(self):
        slug = self.cleaned_data["slug"].strip().lower()
        if slug in RESERVED_SLUGS:
            raise ValidationError(
                _("“%(slug)s” is a reserved word: choose another identifier."), params={"slug": slug}
            )
        if Community.objects.filter(slug__iexact=slug).exists():
            raise ValidationError(
                _("A community with the identifier “%(slug)s” already exists."), params={"slug": slug}
            )
        return slug

    def clean_logo_upload(self):
        upload = self.cleaned_data.get("logo_upload")
        if upload:
            try:
                resize_logo(upload)
            except CommunityError as exc:
                raise ValidationError(exc.message)
            upload.seek(0)
        return upload

    def settings(self) -> dict:
        data = self.cleaned_data
        fields = {name: data[name] for name in self.Meta.fields if name != "slug" and name in data}
        limit = data.get("size_limit_gb")
        fields["size_limit_bytes"] = int(limit * GB) if limit else None
        return fields


class NewCommunityForm(CommunityForm):
    owner = forms.CharField(
        label=_("Owner"),
        max_length=254,
        required=False,
        help_text=_("Username or e-mail address of the community's first owner (optional)."),
    )

    def clean_owner(self):
        value = self.cleaned_data["owner"].strip()
        if not value:
            return None
        return _find_user(value)


def _find_user(value: str):
    # a username, or an e-mail address its owner verified (a profile field alone finds nobody)
    user = find_user(value)
    if user is None:
        raise ValidationError(_("There is no user “%(who)s”."), params={"who": value})
    return user


class MemberForm(forms.Form):
    user = forms.CharField(label=_("Username or e-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices, initial=MemberRole.CURATOR)

    def clean_user(self):
        return _find_user(self.cleaned_data["user"].strip())


class RecordFilterForm(forms.Form):
    q = forms.CharField(label=_("Search this community"), required=False, max_length=200)
    type = forms.ChoiceField(label=_("Resource type"), required=False)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1000, max_value=9999)
    access = forms.ChoiceField(
        label=_("Access"),
        required=False,
        choices=[
            ("", _("Any access")),
            ("open", _("Open")),
            ("embargoed", _("Embargoed")),
            ("restricted", _("Restricted")),
            ("closed", _("Closed")),
        ],
    )

    TYPES = [
        ("publication", _("Publication")),
        ("poster", _("Poster")),
        ("presentation", _("Presentation")),
        ("dataset", _("Dataset")),
        ("image", _("Image")),
        ("video", _("Video/Audio")),  # the label records use for the type
        ("software", _("Software")),
        ("lesson", _("Lesson")),
        ("other", _("Other")),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["type"]).choices = [("", _("Any type")), *self.TYPES]
