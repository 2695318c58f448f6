from django.core.management.base import BaseCommand, CommandError

from records.models import Record
from storage.models import FileInstance
from storage.services import verify


class Command(BaseCommand):
    # Lives in records: "--record" names a record, and storage knows buckets only.
    help = "Re-read stored files (every copy) and compare size, MD5 and SHA-256 with the recorded values."

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--all", action="store_true", help="every stored file")
        scope.add_argument("--record", type=int, help="the files (all versions) of one record")

    def handle(self, *args, record: int | None, **options):
        instances = FileInstance.objects.select_related("location").order_by("created")
        if record is not None:
            bucket = Record.objects.filter(pk=record).values_list("bucket", flat=True).first()
            instances = instances.filter(versions__file__bucket=bucket).distinct()
        checked = failed = 0
        for instance in instances.iterator():
            results = verify(instance)
            checked += 1
            if not _ok(results):
                failed += 1
                bad = ", ".join(name for name, ok in results.items() if not ok)
                self.stderr.write(f"FAILED {instance.pk} ({instance.path}): {bad}")
        self.stdout.write(f"Verified {checked} file(s): {checked - failed} intact, {failed} failed.")
        if failed:
            raise CommandError(f"{failed} file(s) failed verification")


def _ok(results: dict[str, bool]) -> bool:
    return bool(results) and all(results.values())
