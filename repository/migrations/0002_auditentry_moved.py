"""``AuditEntry`` now belongs to the audit app (its table, ``repository_auditentry``, is kept)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("repository", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEntry")],
            database_operations=[],
        ),
    ]
