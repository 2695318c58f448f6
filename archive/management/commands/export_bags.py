"""``manage.py export_bags DEST [--since DATE]``: the succession export (see archive/succession.py)."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from archive import succession


def parse_since(value: str) -> datetime.datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since {value!r}: expected a date (YYYY-MM-DD) or an ISO 8601 time")
        moment = datetime.datetime.combine(day, datetime.time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return moment


class Command(BaseCommand):
    help = (
        "Write a BagIt bag per published or withdrawn record and the metadata as JSON into DEST; "
        "a rerun writes only what is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", type=Path)
        parser.add_argument("--since", help="only records changed since this date (their bags are rewritten)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, dest: Path, since: str | None, no_progress: bool, **options) -> None:
        moment = parse_since(since) if since else None

        def progress(items, total):
            return tqdm(items, total=total, unit="bag", desc="export", disable=no_progress, file=self.stderr)

        report = succession.export_bags(dest, moment, progress)
        self.stdout.write(
            f"{len(report.written)} bags written, {len(report.skipped)} already there; "
            f"JSON written: {', '.join(report.json_written) or 'none'}"
        )
