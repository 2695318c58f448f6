"""``CommunityRecord`` moved to the records app; its table stays."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("communities", "0003_community_page_fields"),
        ("records", "0004_communityrecord_moved"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CommunityRecord")],
            database_operations=[],
        ),
    ]
