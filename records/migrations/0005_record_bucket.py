"""Every record gets a storage bucket; its keys, uploads and raised quota move there."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import CharField, OuterRef, Subquery
from django.db.models.functions import Cast

SUBJECT = "records.record"
BATCH = 2000


def _files_editable(record) -> bool:
    return record.state == "draft" or (record.state == "published" and record.draft_metadata is not None)


def create_buckets(apps, schema_editor):
    Record = apps.get_model("records", "Record")
    Bucket = apps.get_model("storage", "Bucket")
    FileKey = apps.get_model("storage", "FileKey")
    Upload = apps.get_model("storage", "Upload")
    RecordQuota = apps.get_model("storage", "RecordQuota")
    quotas = {q.record_id: q for q in RecordQuota.objects.all()}
    pending = Record.objects.filter(bucket__isnull=True).only("pk", "state", "draft_metadata").order_by("pk")
    batch = []
    for record in pending.iterator(chunk_size=BATCH):
        quota = quotas.get(record.pk)
        batch.append(
            Bucket(
                subject_type=SUBJECT,
                subject_id=str(record.pk),
                locked=not _files_editable(record),
                max_bytes=quota.max_bytes if quota else None,
                max_files=quota.max_files if quota else None,
                quota_reason=quota.reason if quota else "",
                quota_granted_by_id=quota.granted_by_id if quota else None,
            )
        )
        if len(batch) >= BATCH:
            Bucket.objects.bulk_create(batch)
            batch = []
    Bucket.objects.bulk_create(batch)
    # Set-based from here: one UPDATE per table, whatever the number of records.
    Record.objects.filter(bucket__isnull=True).update(
        bucket=Subquery(
            Bucket.objects.filter(
                subject_type=SUBJECT, subject_id=Cast(OuterRef("pk"), output_field=CharField())
            ).values("pk")[:1]
        )
    )
    owner_bucket = Subquery(Record.objects.filter(pk=OuterRef("record_id")).values("bucket")[:1])
    FileKey.objects.filter(bucket__isnull=True).update(bucket=owner_bucket)
    Upload.objects.filter(bucket__isnull=True).update(bucket=owner_bucket)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0004_communityrecord_moved"),
        ("storage", "0002_bucket"),
    ]

    operations = [
        migrations.AddField(
            model_name="record",
            name="bucket",
            field=models.OneToOneField(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="storage.bucket"
            ),
        ),
        migrations.RunPython(create_buckets, migrations.RunPython.noop),
    ]
