"""Periodic jobs of the curation app, merged into Celery beat by repository/celery.py."""

from celery.schedules import crontab

BEAT = {
    "curation-expire-requests": {
        "task": "curation.tasks.expire_requests",
        "schedule": crontab(minute=17),  # hourly: a request expires within the hour it is due
    },
}
