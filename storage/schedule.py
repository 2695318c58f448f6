"""Periodic jobs of the storage app, merged into Celery beat by repository/celery.py."""

from celery.schedules import crontab

BEAT = {
    "storage-remove-stale-uploads": {
        "task": "storage.tasks.remove_stale_uploads",
        # hourly: an upload untouched for 24 hours is gone within 25
        "schedule": crontab(minute=17),
    },
}
