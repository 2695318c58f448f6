from django.core.management.base import BaseCommand

from curation.services import expire, requests_due


class Command(BaseCommand):
    help = "Expire inclusion requests with no decision in CURATION_EXPIRY_DAYS (beat does this hourly)."

    def handle(self, *args, **options):
        count = sum(1 for req in requests_due() if expire(req))
        self.stdout.write(self.style.SUCCESS(f"{count} requests expired."))
