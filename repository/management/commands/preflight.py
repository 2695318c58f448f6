from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from repository.services import broker_reachable, database_reachable, static_files_problem


class Command(BaseCommand):
    help = (
        "Check that the static files are collected and the database and the Celery broker answer; "
        "one line naming what to fix if not."
    )

    def handle(self, *args, **options):
        problem = static_files_problem()
        if problem:
            raise CommandError(problem)
        ok, reason = database_reachable()
        if not ok:
            raise CommandError(
                f"database unreachable ({reason}): check DATABASE_URL and that the server runs."
            )
        ok, reason = broker_reachable(timeout=3)
        if not ok:
            raise CommandError(
                f"broker unreachable at {settings.CELERY_BROKER_URL} ({reason}): start it or fix CELERY_BROKER_URL."
            )
        self.stdout.write("database and broker reachable")
