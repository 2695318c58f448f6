import datetime as dt

from django.core.management.base import BaseCommand

from storage.services import STALE_UPLOAD_AGE, remove_stale_uploads


class Command(BaseCommand):
    help = (
        "Remove unfinished uploads untouched for 24 hours, with their bytes (the beat task does this hourly)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=float, default=STALE_UPLOAD_AGE.total_seconds() / 3600)

    def handle(self, *args, hours: float, **options):
        removed = remove_stale_uploads(max_age=dt.timedelta(hours=hours))
        self.stdout.write(f"Removed {removed} unfinished upload(s) older than {hours:g} hours.")
