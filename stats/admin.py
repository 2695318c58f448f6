from django.contrib import admin

from stats.models import DailyStat


@admin.register(DailyStat)
class DailyStatAdmin(admin.ModelAdmin):
    list_display = ("record_id", "day", "views", "unique_views", "downloads", "unique_downloads")
    list_filter = ("day",)
    search_fields = ("record_id",)
