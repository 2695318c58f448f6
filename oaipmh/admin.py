from django.contrib import admin

from oaipmh.models import RenderedPayload


@admin.register(RenderedPayload)
class RenderedPayloadAdmin(admin.ModelAdmin):
    list_display = ("record", "prefix", "datestamp", "rendered_at")
    list_filter = ("prefix",)
    raw_id_fields = ("record",)
    readonly_fields = ("record", "prefix", "xml", "datestamp", "rendered_at")
