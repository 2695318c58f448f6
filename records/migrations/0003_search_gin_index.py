"""GIN index on the search vector, on PostgreSQL only (SQLite has no tsvector: search falls back there)."""

from django.db import migrations

INDEX = "records_record_search_vector_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON records_record USING gin (search_vector)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("records", "0002_edit_drafts_revisions_search")]

    operations = [migrations.RunPython(create_index, drop_index)]
