"""A record's membership of a community now belongs to the records app (the table is kept)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("records", "0003_search_gin_index"),
        ("communities", "0003_community_page_fields"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CommunityRecord",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("added_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ("removed_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                        ("removal_reason", models.TextField(blank=True)),
                        ("community", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="record_links", to="communities.community")),
                        ("record", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="community_links", to="records.record")),
                    ],
                    options={
                        "db_table": "communities_communityrecord",
                        "indexes": [models.Index(fields=["community", "removed_at", "record"], name="community_record_live")],
                        "constraints": [models.UniqueConstraint(fields=("community", "record"), name="one_link_per_record")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
