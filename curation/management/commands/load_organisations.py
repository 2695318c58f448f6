from pathlib import Path

from django.core.management.base import BaseCommand

from curation.registry import REGISTRY_FILE, load_registry


class Command(BaseCommand):
    help = "Load the organisation registry (default: the shipped Stockholm list); existing entries are kept."

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", default=str(REGISTRY_FILE), help="a JSON file like the shipped one"
        )
        parser.add_argument(
            "--overwrite", action="store_true", help="reset entries with the same key to the file"
        )

    def handle(self, *args, path: str, overwrite: bool, **options):
        created, updated = load_registry(path=Path(path), overwrite=overwrite)
        self.stdout.write(self.style.SUCCESS(f"{created} organisations created, {updated} updated."))
