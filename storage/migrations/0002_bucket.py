"""Buckets: keys and uploads belong to a bucket instead of a record (step 1 of 2).

The data is moved by ``records.0005_record_bucket`` (which knows records); ``0003`` then drops the
record columns and folds ``RecordQuota`` into the bucket.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("storage", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Bucket",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("subject_type", models.CharField(blank=True, max_length=64)),
                ("subject_id", models.CharField(blank=True, max_length=64)),
                ("locked", models.BooleanField(default=False)),
                (
                    "max_bytes",
                    models.BigIntegerField(blank=True, null=True, verbose_name="maximum total size (bytes)"),
                ),
                (
                    "max_files",
                    models.PositiveIntegerField(
                        blank=True, null=True, verbose_name="maximum number of files"
                    ),
                ),
                ("quota_reason", models.TextField(blank=True, verbose_name="reason")),
                ("created", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "quota_granted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["subject_type", "subject_id"], name="bucket_subject")],
            },
        ),
        migrations.RenameModel(old_name="RecordFile", new_name="FileKey"),
        migrations.AddField(
            model_name="filekey",
            name="bucket",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="keys",
                to="storage.bucket",
            ),
        ),
        migrations.AddField(
            model_name="upload",
            name="bucket",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="uploads",
                to="storage.bucket",
            ),
        ),
    ]
