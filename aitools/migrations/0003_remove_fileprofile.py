# Croissant reads a table's columns from its preview (previews.services.tabular_schemas) now.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("aitools", "0002_review_links"),
    ]

    operations = [
        migrations.DeleteModel(
            name="FileProfile",
        ),
    ]
