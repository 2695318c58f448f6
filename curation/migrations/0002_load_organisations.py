"""Load the shipped registry of Stockholm organisations (curation/fixtures/stockholm_organisations.json).

Staff edit it afterwards in the admin; ``manage.py load_organisations`` reloads the shipped file.

Self-contained on purpose: a migration must not import live app code (it changes; this must not),
so the file is read here and entries missing by key are created, as ``curation.registry.load_registry``
does without ``overwrite``.
"""

import json
from pathlib import Path

from django.db import migrations

REGISTRY_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "stockholm_organisations.json"
FIELDS = ("name", "name_sv", "variants", "acronyms", "ror", "kind", "city")
LIST_FIELDS = ("variants", "acronyms")


def load(apps, schema_editor):
    Organisation = apps.get_model("curation", "Organisation")
    for entry in json.loads(REGISTRY_FILE.read_text(encoding="utf-8")):
        entry.setdefault("city", "Stockholm")
        if Organisation.objects.filter(key=entry["key"]).exists():
            continue
        values = {name: entry.get(name, [] if name in LIST_FIELDS else "") for name in FIELDS}
        Organisation.objects.create(key=entry["key"], **values)


def unload(apps, schema_editor):
    pass  # staff may have edited the entries: leave them


class Migration(migrations.Migration):
    dependencies = [("curation", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
