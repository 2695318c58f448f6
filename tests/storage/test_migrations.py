"""The bucket migrations carry existing files, uploads and quotas over from records."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("records", "0004_communityrecord_moved"), ("storage", "0001_initial")]
AFTER = [("records", "0005_record_bucket"), ("storage", "0003_bucket_only")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_records_get_buckets_with_their_keys_uploads_and_quota(django_user_model):
    old = migrate(BEFORE)
    user = old.get_model("accounts", "User").objects.create(username="owner", email="o@example.org")
    Record = old.get_model("records", "Record")
    draft = Record.objects.create(owner_id=user.pk, state="draft")
    published = Record.objects.create(owner_id=user.pk, state="published")
    editing = Record.objects.create(owner_id=user.pk, state="published", draft_metadata={})
    location = old.get_model("storage", "Location").objects.create(
        name="primary", url="file://x", is_primary=True
    )
    instance = old.get_model("storage", "FileInstance").objects.create(
        location=location, path="a/b/c/data", size=1, md5="md5:0", sha256="sha256:0"
    )
    key = old.get_model("storage", "RecordFile").objects.create(record_id=published.pk, key="a.txt")
    old.get_model("storage", "FileVersion").objects.create(
        file=key, instance=instance, number=1, state="published"
    )
    upload_id = uuid.uuid4()
    old.get_model("storage", "Upload").objects.create(
        id=upload_id, record_id=draft.pk, key="b.txt", size=3, location=location, path="x/y/z/data"
    )
    old.get_model("storage", "RecordQuota").objects.create(
        record_id=published.pk, max_bytes=100, max_files=7, reason="big", granted_by_id=user.pk
    )

    new = migrate(AFTER)
    Record = new.get_model("records", "Record")
    buckets = {r.pk: r.bucket for r in Record.objects.select_related("bucket")}
    assert (buckets[draft.pk].locked, buckets[published.pk].locked, buckets[editing.pk].locked) == (
        False,
        True,
        False,
    )
    for pk, bucket in buckets.items():
        assert (bucket.subject_type, bucket.subject_id) == ("records.record", str(pk))
    assert new.get_model("storage", "FileKey").objects.get(key="a.txt").bucket_id == buckets[published.pk].pk
    assert new.get_model("storage", "Upload").objects.get(pk=upload_id).bucket_id == buckets[draft.pk].pk
    quota = buckets[published.pk]
    assert (quota.max_bytes, quota.max_files, quota.quota_reason, quota.quota_granted_by_id) == (
        100,
        7,
        "big",
        user.pk,
    )
    assert buckets[draft.pk].max_bytes is None and buckets[draft.pk].max_files is None
    migrate(executor_leaf())


def executor_leaf():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
