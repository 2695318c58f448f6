"""Search without diacritics: PostgreSQL's unaccent extension, and the published records' search text
and vectors written again (affiliations, funders, DOI and ORCID iDs are searchable now)."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

from records.search import search_text, update_vectors


def reindex(apps, schema_editor):
    Record = apps.get_model("records", "Record")
    batch = []
    for record in Record.objects.exclude(state="draft").only("id", "metadata", "doi").iterator(chunk_size=500):
        record.search_text = search_text(record.metadata, record.doi)
        batch.append(record)
        if len(batch) >= 500:
            Record.objects.bulk_update(batch, ["search_text"])
            batch = []
    Record.objects.bulk_update(batch, ["search_text"])
    update_vectors("state <> 'draft'")


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0007_published_sitemap_index"),
    ]

    operations = [
        UnaccentExtension(),
        migrations.RunPython(reindex, migrations.RunPython.noop),
    ]
