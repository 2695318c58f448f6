import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from records.models import Record
from storage.models import FileInstance, FileReplica, Location, ReplicaState
from storage.services import check_fixity, unconfigured_replicas


class Command(BaseCommand):
    # Lives in records: "--record" names a record, and storage knows buckets only.
    help = (
        "Re-read stored files (every copy) and compare size, MD5 and SHA-256 with the recorded values; "
        "copies that fail are repaired from an intact one (a fixity sweep in the foreground)."
    )

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--all", action="store_true", help="every stored file")
        scope.add_argument("--record", type=int, help="the files (all versions) of one record")
        parser.add_argument("--location", help="only files with a copy in this location (its name)")

    def handle(self, *args, record: int | None, location: str | None, **options):
        if not (options["all"] or record is not None or location is not None):
            raise CommandError("name what to check: --all, --record ID or --location NAME")
        instances = FileInstance.objects.select_related("location").order_by("created")
        if record is not None:
            bucket = Record.objects.filter(pk=record).values_list("bucket", flat=True).first()
            if bucket is None:
                raise CommandError(f"no record {record} with files")
            instances = instances.filter(versions__file__bucket=bucket).distinct()
        if location is not None:
            if not Location.objects.filter(name=location).exists():
                raise CommandError(f"no storage location named {location!r}")
            instances = instances.filter(Q(location__name=location) | Q(replicas__location__name=location))
            instances = instances.distinct()
        total = instances.count()
        checked = failed = repaired = damaged = 0
        read = 0
        started = time.monotonic()
        for instance in instances.iterator():
            outcome = check_fixity(instance)
            checked += 1
            read += outcome.bytes_read
            if outcome.unreachable:
                names = ", ".join(outcome.unreachable)
                self.stderr.write(f"UNREACHABLE {instance.pk} ({instance.path}): {names}; not checked there")
            if outcome.failed:
                failed += 1
                bad = ", ".join(name for name, ok in outcome.found.items() if not ok)
                if outcome.intact:
                    repaired += 1
                    self.stderr.write(f"FAILED {instance.pk} ({instance.path}): {bad}; repaired")
                else:
                    damaged += 1
                    self.stderr.write(
                        f"FAILED {instance.pk} ({instance.path}): {bad}; DAMAGED, no intact copy"
                    )
            if self.stdout.isatty() or checked % 100 == 0 or checked == total:
                self.stdout.write(_progress(checked, total, read, time.monotonic() - started), ending="\r")
        seconds = time.monotonic() - started
        self.stdout.write("")
        self.stdout.write(f"Verified {checked} file(s): {checked - failed} intact, {failed} failed.")
        self.stdout.write(
            f"Read {read} bytes in {seconds:.1f} s ({_mb_per_s(read, seconds):.1f} MB/s); "
            f"failures {failed}, repaired {repaired}, damaged {damaged}."
        )
        self._report_replicas()
        if damaged:
            raise CommandError(f"{damaged} file(s) have no intact copy left")

    def _report_replicas(self) -> None:
        """Copies not checked by this run: replicas still pending, and locations removed from settings."""
        pending = FileReplica.objects.filter(state=ReplicaState.PENDING, location__active=True).count()
        if pending:
            self.stdout.write(
                f"{pending} replica(s) still wait for their copy (the replication tasks make them)."
            )
        for gone in unconfigured_replicas():
            states = ", ".join(f"{state} {n}" for state, n in gone.states.items() if n)
            self.stdout.write(
                f"Location {gone.location.name!r} is no longer in STORAGE_LOCATIONS: it holds "
                f"{gone.replicas} replica(s) ({states or 'none'}) and {gone.primary} primary copies, "
                "neither checked nor used for repairs."
            )


def _mb_per_s(read: int, seconds: float) -> float:
    return read / 1_000_000 / seconds if seconds > 0 else 0.0


def _progress(done: int, total: int, read: int, seconds: float) -> str:
    width = 30
    filled = width * done // total if total else width
    return (
        f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files, {_mb_per_s(read, seconds):.1f} MB/s"
    )
