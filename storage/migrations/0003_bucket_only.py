"""Buckets, step 2 of 2: keys and uploads need their bucket; no storage column names a record."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("storage", "0002_bucket"),
        ("records", "0005_record_bucket"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="filekey", name="one_key_per_record"),
        migrations.AlterModelOptions(name="filekey", options={"ordering": ["bucket", "key"]}),
        migrations.RemoveField(model_name="filekey", name="record"),
        migrations.RemoveField(model_name="upload", name="record"),
        migrations.DeleteModel(name="RecordQuota"),
        migrations.AlterField(
            model_name="filekey",
            name="bucket",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="keys", to="storage.bucket"
            ),
        ),
        migrations.AlterField(
            model_name="upload",
            name="bucket",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="uploads", to="storage.bucket"
            ),
        ),
        migrations.AddConstraint(
            model_name="filekey",
            constraint=models.UniqueConstraint(fields=("bucket", "key"), name="one_key_per_bucket"),
        ),
    ]
