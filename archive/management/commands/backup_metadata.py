"""``manage.py backup_metadata DEST``: the nightly metadata backup, by hand."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from archive import services


class Command(BaseCommand):
    help = (
        "Write a compressed, dated JSON dump of all metadata (metadata-<UTC time>.json.gz) into DEST, "
        "keeping the newest --keep (BACKUP_KEEP). Restore: manage.py migrate, then manage.py loaddata FILE."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", type=Path, nargs="?", help="default: BACKUP_DIR")
        parser.add_argument("--keep", type=int, help="dumps kept (default BACKUP_KEEP)")

    def handle(self, *args, dest: Path | None, keep: int | None, **options) -> None:
        path = services.backup_metadata(dest or settings.BACKUP_DIR, keep)
        self.stdout.write(str(path))
