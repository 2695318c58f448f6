from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from curation.models import Comment, InclusionRequest, Notification, Organisation
from identifiers import ror_id


class LinesField(forms.CharField):
    """A JSON list of strings edited as one entry per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if isinstance(value, list):
            return value
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class OrganisationForm(forms.ModelForm):
    ror = forms.CharField(
        label=_("ROR id"),
        max_length=100,
        required=False,
        help_text=_("e.g. 026vcq606 or https://ror.org/026vcq606"),
    )
    variants = LinesField(label=_("Name variants"), required=False, help_text=_("One per line."))
    acronyms = LinesField(
        label=_("Acronyms and short names"),
        required=False,
        help_text=_("One per line; matched only as a whole part of an affiliation."),
    )

    class Meta:
        model = Organisation
        fields = ["key", "name", "name_sv", "variants", "acronyms", "ror", "kind", "city", "active"]

    def clean_ror(self):

        value = self.cleaned_data.get("ror", "").strip()
        if not value:
            return ""
        ror = ror_id(value)
        if not ror:
            raise forms.ValidationError(_("Enter a ROR id such as 026vcq606 or https://ror.org/026vcq606."))
        return ror


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """The registry the affiliation check matches against; staff keep it up to date here."""

    form = OrganisationForm
    list_display = ("name", "name_sv", "kind", "city", "ror", "active")
    list_filter = ("kind", "city", "active")
    search_fields = ("name", "name_sv", "key", "ror")


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    readonly_fields = ("author", "body", "created")
    can_delete = False


@admin.register(InclusionRequest)
class InclusionRequestAdmin(admin.ModelAdmin):
    """Read-only here: decisions go through the curation pages, API and services (audited)."""

    list_display = ("id", "record", "community", "kind", "state", "checks_status", "created", "decided_at")
    list_filter = ("state", "kind", "checks_status", "community")
    search_fields = ("record__metadata__title", "community__slug")
    readonly_fields = [f.name for f in InclusionRequest._meta.fields]
    inlines = [CommentInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "event", "request", "created", "read_at", "emailed_at")
    list_filter = ("kind", "event")
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False
