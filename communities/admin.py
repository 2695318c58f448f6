from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from communities import services
from communities.forms import RESERVED_SLUGS
from communities.models import Community, Membership


class CommunityAdminForm(forms.ModelForm):
    """The same rules as the site's forms: no reserved or clashing slug; page content is sanitised on save."""

    website = forms.URLField(label=_("website"), required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Community
        fields = [
            "slug",
            "title",
            "description",
            "curation_policy",
            "website",
            "page_content",
            "visibility",
            "size_limit_bytes",
        ]

    def clean_slug(self):
        slug = self.cleaned_data["slug"].strip().lower()
        if slug in RESERVED_SLUGS:
            raise ValidationError(
                _("“%(slug)s” is a reserved word: choose another identifier."), params={"slug": slug}
            )
        if Community.objects.filter(slug__iexact=slug).exclude(pk=self.instance.pk).exists():
            raise ValidationError(
                _("A community with the identifier “%(slug)s” already exists."), params={"slug": slug}
            )
        return slug


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    """Changes go through communities.services (audited, sanitised); the logo and the check rules are
    edited on the community's own edit page, where the logo is resized and the rules validated."""

    form = CommunityAdminForm
    list_display = ("slug", "title", "visibility", "created")
    list_filter = ("visibility",)
    search_fields = ("slug", "title")
    readonly_fields = ("logo", "check_rules", "created")
    inlines = [MembershipInline]

    def get_readonly_fields(self, request, obj=None):
        # The slug is the page's address and the OAI-PMH set name: fixed once created.
        return (*self.readonly_fields, "slug") if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services.EDITABLE if name in form.cleaned_data}
        if change:
            changed = {name: value for name, value in fields.items() if name in form.changed_data}
            if changed:
                services.update_community(request.user, obj, **changed)
            return
        created = services.create_community(request.user, slug=form.cleaned_data["slug"], **fields)
        for field in Community._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        community = form.instance
        formset.save(commit=False)
        for membership in formset.deleted_objects:
            self._remove(request, community, membership.user)
        for membership, changed in formset.changed_objects:
            if "user" in changed:  # the row now names someone else: the previous member leaves
                self._remove(request, community, Membership.objects.get(pk=membership.pk).user)
            services.set_member(request.user, community, membership.user, membership.role)
        for membership in formset.new_objects:
            services.set_member(request.user, community, membership.user, membership.role)

    def _remove(self, request, community, user):
        try:
            services.remove_member(request.user, community, user)
        except services.CommunityError as exc:
            messages.error(request, exc.message)
