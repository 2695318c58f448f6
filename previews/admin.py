from django.contrib import admin

from previews.models import Preview, PreviewObject


class PreviewObjectInline(admin.TabularInline):
    model = PreviewObject
    extra = 0
    readonly_fields = ("kind", "mimetype", "instance")
    fields = readonly_fields
    can_delete = False


@admin.register(Preview)
class PreviewAdmin(admin.ModelAdmin):
    """Read-only: previews are made by the worker; failed ones say why."""

    list_display = ("id", "version", "renderer", "state", "reason", "tool", "tool_version", "created")
    list_filter = ("state", "renderer")
    list_select_related = ("version__file",)
    readonly_fields = [f.name for f in Preview._meta.fields]
    inlines = [PreviewObjectInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
