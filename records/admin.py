"""Admin views of records: read-only but for the owner, whose change goes through ``change_owner``.

Records are created by depositing and never deleted here (withdrawal keeps a tombstone); their
lifecycle fields change only through the records verbs.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from records import services
from records.models import (
    CommunityRecord,
    CoOwnerInvitation,
    MetadataRevision,
    QuotaRequest,
    Record,
    WithdrawalRequest,
)


class RevisionInline(admin.TabularInline):
    model = MetadataRevision
    extra = 0
    can_delete = False
    fields = ("number", "created", "created_by", "summary")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "state", "owner", "doi", "published_at", "datestamp")
    list_filter = ("state", "doi_is_external")
    search_fields = ("=id", "doi", "owner__username", "search_text")
    raw_id_fields = ("owner",)
    readonly_fields = (
        "state",
        "doi",
        "doi_is_external",
        "published_at",
        "withdrawn_at",
        "withdrawal_reason",
        "withdrawal_category",
        "withdrawn_by",
        "datestamp",
        "created",
        "updated",
        "metadata",
        "draft_metadata",
        "edit_started_at",
        "requested_communities",
        "schema_version",
        "co_owners",
        "bucket",
    )
    exclude = ("search_text", "search_vector")
    inlines = [RevisionInline]
    actions = ["lift_embargoes"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change and "owner" in form.changed_data:
            services.change_owner(Record.objects.get(pk=obj.pk), request.user, form.cleaned_data["owner"])

    @admin.action(description=_("Lift due embargoes now"))
    def lift_embargoes(self, request, queryset):
        lifted = sum(1 for record in queryset if services.lift_embargo(record, request.user))
        messages.info(request, _("%(count)d embargo(es) lifted.") % {"count": lifted})


@admin.register(CoOwnerInvitation)
class CoOwnerInvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are sent, accepted and declined through the records verbs."""

    list_display = ("record", "user", "email", "state", "created")
    list_filter = ("state",)
    readonly_fields = ("record", "invited_by", "user", "email", "state", "created", "answered_at")
    exclude = ("token",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CommunityRecord)
class CommunityRecordAdmin(admin.ModelAdmin):
    """Read-only: memberships change through curation decisions (accept, remove)."""

    list_display = ("community", "record", "added_at", "removed_at")
    list_filter = ("community",)
    readonly_fields = ("community", "record", "added_at", "removed_at", "removal_reason")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DecidedAtTheDesk(admin.ModelAdmin):
    """Withdrawal and quota requests are decided at ``/staff/`` (the verbs tell the owners); read-only here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WithdrawalRequest)
class WithdrawalRequestAdmin(DecidedAtTheDesk):
    list_display = ("id", "kind", "state", "record", "reason", "answer", "deadline_passed", "created")
    list_filter = ("kind", "state", "reason")
    search_fields = ("=record__id", "note")


@admin.register(QuotaRequest)
class QuotaRequestAdmin(DecidedAtTheDesk):
    list_display = ("id", "state", "record", "amount_bytes", "granted_bytes", "created")
    list_filter = ("state",)
    search_fields = ("=record__id", "reason")
