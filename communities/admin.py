from django.contrib import admin

from communities.models import Community, CommunityRecord, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("slug", "title", "visibility", "created")
    list_filter = ("visibility",)
    search_fields = ("slug", "title")
    inlines = [MembershipInline]


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
