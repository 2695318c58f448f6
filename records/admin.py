"""Admin views of records: read-mostly; state changes go through records.services (actions below)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from records import services
from records.models import CommunityRecord, CoOwnerInvitation, MetadataRevision, Record


class RevisionInline(admin.TabularInline):
    model = MetadataRevision
    extra = 0
    can_delete = False
    fields = ("number", "created", "created_by", "summary")
    readonly_fields = fields


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "state", "owner", "doi", "published_at", "datestamp")
    list_filter = ("state", "doi_is_external")
    search_fields = ("=id", "doi", "owner__username", "search_text")
    raw_id_fields = ("owner", "co_owners")
    readonly_fields = ("state", "doi", "doi_is_external", "published_at", "withdrawn_at", "withdrawal_reason",
                       "datestamp", "created", "updated", "metadata", "draft_metadata", "edit_started_at",
                       "requested_communities", "schema_version")  # fmt: skip
    exclude = ("search_text", "search_vector")
    inlines = [RevisionInline]
    actions = ["lift_embargoes"]

    @admin.action(description=_("Lift due embargoes now"))
    def lift_embargoes(self, request, queryset):
        lifted = sum(1 for record in queryset if services.lift_embargo(record, request.user))
        messages.info(request, _("%(count)d embargo(es) lifted.") % {"count": lifted})


@admin.register(CoOwnerInvitation)
class CoOwnerInvitationAdmin(admin.ModelAdmin):
    list_display = ("record", "user", "email", "state", "created")
    list_filter = ("state",)
    raw_id_fields = ("record", "invited_by", "user")
    readonly_fields = ("token",)


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
