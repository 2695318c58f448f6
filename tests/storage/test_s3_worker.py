"""An S3 replica (moto's standalone server) with a real Celery worker process and ``celery beat``: a byte
flipped through the S3 API is found by the beat-scheduled sweep, repaired from the local primary, and
reported to staff once."""

from __future__ import annotations

import hashlib

import pytest

from storage.models import FileInstance, FixityCheck, ReplicaState
from tests.storage.test_replica_worker import (
    PAYLOAD,
    STAFF,
    SWEEPING,
    TIMEOUT,
    _history,
    _hold,
    _messages,
    _release,
    _settled,
    _store,
)

pytestmark = pytest.mark.worker


@pytest.fixture
def offsite(settings, s3_bucket, tmp_path, monkeypatch):
    """A local primary under tmp_path and an S3 replica "offsite", for this process and (through the
    environment the ``celery_worker`` fixture copies) the worker's; requested before ``celery_worker``.
    Yields (boto3 client, bucket)."""
    endpoint, bucket, client = s3_bucket
    s3 = {
        "S3_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "S3_ADDRESSING_STYLE": "path",
        "S3_CONNECT_TIMEOUT": "2",
    }
    for name, value in s3.items():
        monkeypatch.setenv(name, value)
        setattr(settings, name, int(value) if name == "S3_CONNECT_TIMEOUT" else value)
    settings.STORAGE_LOCATIONS = [("primary", f"file://{tmp_path}/primary"), ("offsite", f"s3://{bucket}")]
    settings.STORAGE_LOCATION_SITES = {}
    settings.STAFF_EMAILS = [STAFF]
    return client, bucket


def _object(client, bucket, key) -> bytes:
    return client.get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.mark.worker(env=SWEEPING, beat=True)
def test_the_beat_sweep_repairs_a_byte_flipped_through_the_s3_api_and_tells_staff_once(
    offsite, celery_worker, draft, depositor, publish
):
    client, bucket = offsite
    instance = _store(draft, depositor, "data.bin")
    publish(draft, depositor)
    assert celery_worker.wait_until(lambda: _settled(instance.pk), TIMEOUT)
    replica = instance.replicas.select_related("location").get()
    assert replica.location.name == "offsite"
    assert _object(client, bucket, replica.path) == PAYLOAD

    _hold(celery_worker, instance)  # no sweep reads the object while it changes
    flipped = bytearray(_object(client, bucket, replica.path))
    flipped[100] ^= 0x01
    client.put_object(Bucket=bucket, Key=replica.path, Body=bytes(flipped))
    _release(instance)

    assert celery_worker.wait_until(
        lambda: FixityCheck.objects.filter(instance=instance, result="repaired").exists(), TIMEOUT
    )
    mismatch = FixityCheck.objects.get(instance=instance, result="mismatch")
    assert mismatch.location.name == "offsite" and mismatch.actual != mismatch.expected
    # the repair is verified again: both copies checked after it
    assert celery_worker.wait_until(lambda: len(_history(instance, mismatch.pk)) >= 3, TIMEOUT)
    rows = _history(instance)
    at = rows.index(("offsite", "mismatch"))
    assert rows[at - 1 : at + 4] == [
        ("primary", "ok"),
        ("offsite", "mismatch"),
        ("offsite", "repaired"),
        ("primary", "ok"),
        ("offsite", "ok"),
    ]
    data = _object(client, bucket, replica.path)
    assert "md5:" + hashlib.md5(data).hexdigest() == instance.md5
    assert "sha256:" + hashlib.sha256(data).hexdigest() == instance.sha256
    assert celery_worker.wait_until(lambda: _messages(celery_worker.mail_dir), TIMEOUT)
    # later sweeps find both copies intact (two more rounds of ok rows) and send nothing more
    repaired = FixityCheck.objects.get(instance=instance, result="repaired")
    assert celery_worker.wait_until(lambda: len(_history(instance, repaired.pk)) >= 6, TIMEOUT)
    assert set(_history(instance, repaired.pk)) == {("primary", "ok"), ("offsite", "ok")}
    [message] = _messages(celery_worker.mail_dir)
    assert message["To"] == STAFF and "repaired" in message["Subject"]
    assert str(instance.pk) in message.get_payload()
    replica.refresh_from_db()
    assert replica.state == ReplicaState.VERIFIED and replica.last_result == "ok"
    instance = FileInstance.objects.get(pk=instance.pk)
    assert not instance.damaged and instance.verified_ok
