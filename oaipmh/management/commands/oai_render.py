"""Render the stored OAI-PMH payloads: the missing or stale ones, or (``--all``) every one.

python manage.py oai_render            # records whose payloads are missing or out of date
python manage.py oai_render --all      # everything again, e.g. after a serialiser changed
python manage.py oai_render --all --workers 2 --batch-size 1000
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.models import Count, DateTimeField, F, IntegerField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from oaipmh.formats import FORMATS
from oaipmh.models import RenderedPayload
from oaipmh.services import rerender_records
from records.models import CommunityRecord, Record, RecordState


def render_batch(record_ids: list[int]) -> tuple[int, int]:
    """Render and store every format of these records; returns (rendered, datestamps moved on)."""
    return rerender_records(record_ids)


def _worker_init() -> None:
    connections.close_all()  # never share the parent's database connection after fork


def stale_or_missing():
    """Published records lacking an up-to-date payload in at least one format: missing, rendered
    for an older datestamp, or rendered before the record's communities last changed."""
    links_changed = (
        CommunityRecord.objects.filter(record=OuterRef(OuterRef("pk")))
        .order_by()
        .values("record")
        .annotate(last=Max(Coalesce("removed_at", "added_at")))
        .values("last")
    )
    fresh = (
        RenderedPayload.objects.filter(record=OuterRef("pk"), datestamp=OuterRef("datestamp"))
        .annotate(links_changed=Subquery(links_changed, output_field=DateTimeField()))
        .filter(Q(links_changed__isnull=True) | Q(rendered_at__gte=F("links_changed")))
        .values("record")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Record.objects.filter(state=RecordState.PUBLISHED, datestamp__isnull=False)
        .annotate(fresh=Coalesce(Subquery(fresh, output_field=IntegerField()), 0))
        .filter(fresh__lt=len(FORMATS))
    )


class Progress:
    """A one-line progress bar (redrawn in place on a terminal, one line per 10% otherwise)."""

    def __init__(self, stream, total: int, width: int = 30):
        self.stream, self.total, self.width = stream, total, width
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()
        self.last_decile = -1

    def update(self, done: int) -> None:
        fraction = done / self.total if self.total else 1.0
        filled = int(self.width * fraction)
        rate = done / max(time.monotonic() - self.started, 1e-6)
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} {fraction:6.1%} {rate:,.0f} records/s"
        if self.tty:
            self.stream.write("\r" + line, ending="")
            self.stream.flush()
        elif int(fraction * 10) > self.last_decile:
            self.last_decile = int(fraction * 10)
            self.stream.write(line)

    def close(self) -> None:
        if self.tty:
            self.stream.write("")


class Command(BaseCommand):
    help = "Render the OAI-PMH payloads (every format) of published records, in batches."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="re-render every published record, not only stale ones"
        )
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--workers", type=int, default=1, help="processes rendering in parallel")

    def handle(self, *args, **options):
        batch_size, workers = options["batch_size"], options["workers"]
        if batch_size < 1 or workers < 1:
            raise CommandError("--batch-size and --workers must be at least 1.")
        # Payloads of records that are no longer published are never served: drop them.
        dropped, _ = RenderedPayload.objects.exclude(record__state=RecordState.PUBLISHED).delete()
        scope = (
            Record.objects.filter(state=RecordState.PUBLISHED, datestamp__isnull=False)
            if options["all"]
            else stale_or_missing()
        )
        ids = list(scope.order_by("pk").values_list("pk", flat=True))
        batches = [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]
        progress = Progress(self.stdout, len(ids))
        progress.update(0)
        done = moved = 0
        pool = None
        if workers > 1 and len(batches) > 1:
            connections.close_all()
            pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=_worker_init)
        for rendered, bumped in (pool.map if pool else map)(render_batch, batches):
            done += rendered
            moved += bumped
            progress.update(done)
        if pool:
            pool.shutdown()
        progress.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Rendered {done} records in {len(FORMATS)} formats; {moved} whose serialisation changed got a "
                f"new datestamp; dropped {dropped} unpublished payloads."
            )
        )
        if done < len(ids):
            sys.stderr.write(f"{len(ids) - done} records changed state while rendering and were skipped.\n")
