"""Periodic jobs of the records app, merged into Celery beat by repository/celery.py."""

from celery.schedules import crontab

BEAT = {
    "records-lift-embargoes": {
        "task": "records.tasks.lift_embargoes",
        # hourly, so an embargo ends within the hour after midnight (UTC) of its end date
        "schedule": crontab(minute=7),
    },
}
