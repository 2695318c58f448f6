"""``manage.py import_bags SRC``: load a succession export into this empty instance."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from archive import succession


class Command(BaseCommand):
    help = (
        "Load an export_bags folder into this empty instance (ids, DOIs, states, files and checksums "
        "kept); refuses a non-empty database or an invalid bag before writing anything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, src: Path, no_progress: bool, **options) -> None:
        def progress(items, total):
            return tqdm(items, total=total, desc="import", disable=no_progress, file=self.stderr)

        try:
            counts = succession.import_bags(src, progress)
        except succession.ImportRefused as exc:
            raise CommandError(f"import refused, nothing written: {exc}") from exc
        self.stdout.write(
            ", ".join(f"{n} {label}" for label, n in sorted(counts.items())) or "nothing loaded"
        )
