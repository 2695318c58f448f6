from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from storage import services
from storage.models import (
    Bucket,
    FileInstance,
    FileKey,
    FileReplica,
    FileVersion,
    FixityCheck,
    Location,
    Upload,
)


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "url", "is_primary", "active", "created")
    readonly_fields = ("name", "site", "url", "is_primary", "active", "created")

    def has_add_permission(self, request):
        return False  # locations come from STORAGE_LOCATIONS


class ReplicaInline(admin.TabularInline):
    model = FileReplica
    extra = 0
    readonly_fields = (
        "location",
        "path",
        "created",
        "state",
        "last_verified",
        "last_result",
        "attempts",
        "last_error",
    )
    fields = readonly_fields
    can_delete = False


@admin.register(FileInstance)
class FileInstanceAdmin(admin.ModelAdmin):
    list_display = ("id", "location", "path", "human_size", "md5", "created", "verified_ok", "damaged")
    list_filter = ("location", "verified_ok", "damaged")
    search_fields = ("id", "md5", "sha256", "path")
    readonly_fields = [f.name for f in FileInstance._meta.fields]
    inlines = [ReplicaInline]
    actions = ["verify_copies", "repair_copies"]

    @admin.display(description=_("size"), ordering="size")
    def human_size(self, obj):
        return services.format_size(obj.size)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # stored content is never deleted by hand

    @admin.action(description=_("Verify the checksums of every copy"))
    def verify_copies(self, request, queryset):
        for instance in queryset:
            results = services.verify(instance, request.user)
            level = messages.SUCCESS if all(results.values()) else messages.ERROR
            self.message_user(request, f"{instance.pk}: {results}", level)

    @admin.action(description=_("Repair bad or missing copies from a good one"))
    def repair_copies(self, request, queryset):
        for instance in queryset:
            results = services.repair(instance, request.user)
            level = messages.SUCCESS if all(results.values()) else messages.ERROR
            self.message_user(request, f"{instance.pk}: {results}", level)


@admin.register(FixityCheck)
class FixityCheckAdmin(admin.ModelAdmin):
    """The fixity history: every check and repair of every copy (read-only)."""

    list_display = ("checked_at", "instance", "location", "result", "bytes_read", "duration")
    list_filter = ("result", "location")
    search_fields = ("instance__id",)
    date_hierarchy = "checked_at"
    readonly_fields = [f.name for f in FixityCheck._meta.fields]
    list_select_related = ("location",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VersionInline(admin.TabularInline):
    model = FileVersion
    extra = 0
    fields = ("number", "state", "instance", "mimetype", "created", "created_by", "published_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FileKey)
class FileKeyAdmin(admin.ModelAdmin):
    list_display = ("bucket", "key", "removed", "remove_staged", "created")
    search_fields = ("key", "bucket__subject_id")
    readonly_fields = ("bucket", "key", "removed", "remove_staged", "created")
    inlines = [VersionInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ("id", "bucket", "key", "offset", "size", "state", "created_by", "updated")
    readonly_fields = [f.name for f in Upload._meta.fields]
    actions = ["cancel_uploads"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # use the action: it removes the bytes too

    @admin.action(description=_("Cancel the selected uploads (their bytes are removed)"))
    def cancel_uploads(self, request, queryset):
        for upload in queryset.select_related("bucket", "location"):
            services.cancel_upload(upload, request.user)
        self.message_user(request, _("Cancelled."), messages.SUCCESS)


@admin.register(Bucket)
class BucketAdmin(admin.ModelAdmin):
    """Staff raise a bucket's limits here (through ``set_quota``: audited)."""

    list_display = (
        "id",
        "subject_type",
        "subject_id",
        "locked",
        "max_bytes",
        "max_files",
        "quota_granted_by",
    )
    search_fields = ("subject_id",)
    fields = ("subject_type", "subject_id", "locked", "max_bytes", "max_files", "quota_reason")
    readonly_fields = ("subject_type", "subject_id", "locked")

    def save_model(self, request, obj, form, change):
        max_bytes, max_files = obj.limits  # an emptied field means the settings' default
        services.set_quota(
            request.user, obj, max_bytes=max_bytes, max_files=max_files, reason=obj.quota_reason
        )

    def has_add_permission(self, request):
        return False  # buckets are made by their owners

    def has_delete_permission(self, request, obj=None):
        return False
