from django.contrib import admin

from communities.models import Community, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("slug", "title", "created")
    search_fields = ("slug", "title")
    inlines = [MembershipInline]
