"""Compile every locale/*/LC_MESSAGES/*.po to .mo in pure Python (no GNU gettext needed)."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the translation catalogs (.po → .mo) without GNU gettext."

    def handle(self, *args, **options):
        count = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                try:
                    catalog = polib.pofile(str(po_path))
                except (OSError, ValueError) as exc:
                    raise CommandError(f"{po_path}: {exc}")
                catalog.save_as_mofile(str(po_path.with_suffix(".mo")))
                count += 1
                if options["verbosity"] > 1:
                    self.stdout.write(f"compiled {po_path} ({catalog.percent_translated()}% translated)")
        if options["verbosity"] > 0:
            self.stdout.write(f"{count} catalog(s) compiled")
