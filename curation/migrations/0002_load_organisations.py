"""Load the shipped registry of Stockholm organisations (curation/fixtures/stockholm_organisations.json).

Staff edit it afterwards in the admin; ``manage.py load_organisations`` reloads the shipped file.
"""

from django.db import migrations


def load(apps, schema_editor):
    from curation.registry import load_registry

    load_registry(apps.get_model("curation", "Organisation"))


def unload(apps, schema_editor):
    pass  # staff may have edited the entries: leave them


class Migration(migrations.Migration):
    dependencies = [("curation", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
