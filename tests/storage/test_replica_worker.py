"""Replicas and fixity with a real Celery worker process and ``celery beat``: copies made (and retried while
a location is unreachable), the beat-scheduled sweep finding a flipped byte, a missing replica and a
file with no intact copy, and a pool process killed mid-check leaving exactly one result."""

from __future__ import annotations

import email
import hashlib
import os
import signal

import pytest
from django.utils import timezone

from records.files import download_url
from storage import services
from storage.models import FileInstance, FixityCheck, ReplicaState
from storage.tasks import verify_instances

STAFF = "desk@repository.example.org"
PAYLOAD = os.urandom(64 * 1024)
TIMEOUT = 120  # seconds; the machine is shared and busy

SWEEPING = {  # beat sweeps every 2 s; each sweep takes one file (one run per 2 s in a one-day cycle)
    "FIXITY_SWEEP_INTERVAL_SECONDS": "2",
    "FIXITY_CYCLE_DAYS": "1",
    "STAFF_EMAILS": STAFF,
    "REPLICATION_RETRY_BACKOFF_SECONDS": "1",
    "REPLICATION_RETRY_BACKOFF_MAX_SECONDS": "2",
    "REPLICATION_MAX_RETRIES": "100",
}

pytestmark = pytest.mark.worker


@pytest.fixture
def locations(settings, tmp_path):
    """primary + replica under tmp_path; requested before ``celery_worker`` so the worker uses them."""
    settings.STORAGE_LOCATIONS = [
        ("primary", f"file://{tmp_path}/primary"),
        ("replica", f"file://{tmp_path}/sites/replica"),
    ]
    settings.STORAGE_LOCATION_SITES = {}
    settings.STAFF_EMAILS = [STAFF]
    return tmp_path


def _messages(mail_dir):
    found = []
    for path in sorted(mail_dir.iterdir()):
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk.strip()))
    return [m for m in found if "Fixity" in m["Subject"]]


def _history(instance, after_pk=0):
    rows = FixityCheck.objects.filter(instance=instance, pk__gt=after_pk).order_by("pk")
    return [(c.location.name, c.result) for c in rows]


def _settled(instance_id) -> bool:
    """Copied, read back and checked after upload."""
    instance = FileInstance.objects.get(pk=instance_id)
    replica = instance.replicas.get()
    return replica.state == ReplicaState.VERIFIED and instance.last_verified is not None


def _store(draft, depositor, key):
    version = services.store_bytes(draft.bucket, key, PAYLOAD, depositor)
    return FileInstance.objects.select_related("location").get(pk=version.instance_id)


def _paths(root, instance):
    replica = instance.replicas.get()
    return root / "primary" / instance.path, root / "sites" / "replica" / replica.path


def _flip_one_byte(path):
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    changed = path.with_name("flipped")
    changed.write_bytes(bytes(data))
    os.replace(changed, path)


def _hold(worker, *instances):
    """Keep the sweep away while the test damages copies: claim the files as a sweep does (only when no
    sweep holds them, so no check of theirs is under way)."""
    for instance in instances:
        assert worker.wait_until(
            lambda i=instance: (
                FileInstance.objects.filter(pk=i.pk, fixity_claimed__isnull=True).update(
                    fixity_claimed=timezone.now()
                )
                == 1
            ),
            TIMEOUT,
        )


def _release(*instances):
    FileInstance.objects.filter(pk__in=[i.pk for i in instances]).update(fixity_claimed=None)


def _intact(path, instance) -> bool:
    data = path.read_bytes()
    return (
        "md5:" + hashlib.md5(data).hexdigest() == instance.md5
        and "sha256:" + hashlib.sha256(data).hexdigest() == instance.sha256
    )


@pytest.mark.worker(env=SWEEPING, beat=True)
def test_copies_are_retried_while_the_location_is_unreachable(locations, celery_worker, draft, depositor):
    (locations / "sites").write_bytes(b"not a folder: the replica location is unreachable")
    instance = _store(draft, depositor, "data.bin")  # the upload to the primary succeeds
    replica = instance.replicas.get()
    assert celery_worker.wait_until(
        lambda: replica.__class__.objects.get(pk=replica.pk).attempts >= 2, TIMEOUT
    )
    replica.refresh_from_db()
    assert replica.state == ReplicaState.PENDING and replica.last_result == "error" and replica.last_error
    (locations / "sites").unlink()  # reachable again: a retry makes the copy
    assert celery_worker.wait_until(lambda: _settled(instance.pk), TIMEOUT)
    _primary, copy = _paths(locations, instance)
    assert copy.read_bytes() == PAYLOAD
    # the check after upload re-read the primary's bytes; the copy was read back
    rows = _history(instance)
    assert ("primary", "ok") in rows and ("replica", "ok") in rows
    assert not {result for _name, result in rows} - {"ok"}


@pytest.mark.worker(env=SWEEPING, beat=True)
def test_the_beat_sweep_repairs_a_flipped_byte_and_tells_staff_once(
    locations, celery_worker, draft, depositor
):
    instance = _store(draft, depositor, "data.bin")
    assert celery_worker.wait_until(lambda: _settled(instance.pk), TIMEOUT)
    primary, _copy = _paths(locations, instance)
    _hold(celery_worker, instance)
    _flip_one_byte(primary)
    _release(instance)
    assert celery_worker.wait_until(
        lambda: FixityCheck.objects.filter(instance=instance, result="repaired").exists(), TIMEOUT
    )
    mismatch = FixityCheck.objects.get(instance=instance, result="mismatch")
    assert mismatch.location.name == "primary" and mismatch.actual != mismatch.expected
    assert _history(instance, mismatch.pk - 1)[:5] == [
        ("primary", "mismatch"),
        ("replica", "ok"),
        ("primary", "repaired"),
        ("primary", "ok"),
        ("replica", "ok"),
    ]
    assert _intact(primary, instance)
    assert celery_worker.wait_until(lambda: _messages(celery_worker.mail_dir), TIMEOUT)
    # later sweeps find it intact (two more rounds of ok rows) and send nothing more
    repaired = FixityCheck.objects.get(instance=instance, result="repaired")
    assert celery_worker.wait_until(lambda: len(_history(instance, repaired.pk)) >= 6, TIMEOUT)
    assert set(_history(instance, repaired.pk)) == {("primary", "ok"), ("replica", "ok")}
    [message] = _messages(celery_worker.mail_dir)
    assert message["To"] == STAFF and "repaired" in message["Subject"]
    assert str(instance.pk) in message.get_payload()
    instance.refresh_from_db()
    assert not instance.damaged and instance.verified_ok


@pytest.mark.worker(env=SWEEPING, beat=True)
def test_the_beat_sweep_recreates_a_missing_replica_and_marks_a_file_without_intact_copy_damaged(
    locations, celery_worker, draft, depositor, publish, client
):
    lost = _store(draft, depositor, "lost.bin")
    ruined = _store(draft, depositor, "ruined.bin")
    publish(draft, depositor)
    assert celery_worker.wait_until(lambda: _settled(lost.pk) and _settled(ruined.pk), TIMEOUT)
    url = download_url(draft.pk, "ruined.bin")
    assert client.get(url).status_code == 200
    _primary, lost_copy = _paths(locations, lost)
    ruined_primary, ruined_copy = _paths(locations, ruined)
    _hold(celery_worker, lost, ruined)
    lost_copy.unlink()
    _flip_one_byte(ruined_primary)
    ruined_copy.unlink()
    _release(lost, ruined)

    def damaged() -> bool:
        return FileInstance.objects.get(pk=ruined.pk).damaged

    assert celery_worker.wait_until(
        lambda: FixityCheck.objects.filter(instance=lost, result="repaired").exists() and damaged(), TIMEOUT
    )
    assert lost_copy.read_bytes() == PAYLOAD
    assert lost.replicas.get().state == ReplicaState.VERIFIED
    rows = _history(lost)
    at = rows.index(("replica", "missing"))
    assert rows[at - 1 : at + 4] == [
        ("primary", "ok"),
        ("replica", "missing"),
        ("replica", "repaired"),
        ("primary", "ok"),
        ("replica", "ok"),
    ]
    assert ruined.replicas.get().state == ReplicaState.MISSING
    response = client.get(url)
    assert response.status_code == 503 and b"failed its integrity check" in response.content
    assert PAYLOAD[:50] not in response.content
    # the next sweep of the damaged file records the incident again, but tells staff only once
    first = FixityCheck.objects.filter(instance=ruined, result="unrepairable").first()
    assert celery_worker.wait_until(
        lambda: FixityCheck.objects.filter(instance=ruined, result="unrepairable", pk__gt=first.pk).exists(),
        TIMEOUT,
    )
    assert celery_worker.wait_until(lambda: len(_messages(celery_worker.mail_dir)) >= 2, TIMEOUT)
    subjects = sorted(m["Subject"] for m in _messages(celery_worker.mail_dir))
    assert subjects == sorted([f"Fixity: {ruined.pk} is damaged", f"Fixity: repaired {lost.pk}"])


def _has_open(pid: int, path) -> bool:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                return True
        except OSError:
            continue
    return False


@pytest.mark.worker(env={"FIXITY_MAX_MB_PER_S": "0.02"}, pool="prefork")
def test_a_pool_process_killed_mid_check_leaves_exactly_one_result(
    locations, celery_worker, draft, depositor
):
    # 64 KiB read at 20 kB/s: each copy takes about 3 s to check
    instance = _store(draft, depositor, "data.bin")
    assert celery_worker.wait_until(lambda: _settled(instance.pk), TIMEOUT)
    FixityCheck.objects.all().delete()
    ids, claim = services.claim_fixity_batch(size=1)
    assert ids == [str(instance.pk)] and claim is not None
    verify_instances.delay(ids, claim.isoformat())
    _primary, copy = _paths(locations, instance)
    # wait until the pool process reads the replica: the primary's check is done but not committed
    [pool] = celery_worker.pool_pids()
    assert celery_worker.wait_until(lambda: _has_open(pool, copy), TIMEOUT)
    os.kill(pool, signal.SIGKILL)
    # the task is requeued (task_reject_on_worker_lost) and a new pool process checks the file again
    assert celery_worker.wait_until(
        lambda: FileInstance.objects.get(pk=instance.pk).fixity_claimed is None, TIMEOUT
    )
    assert pool not in celery_worker.pool_pids()
    assert _history(instance) == [("primary", "ok"), ("replica", "ok")]
    instance.refresh_from_db()
    assert instance.verified_ok and instance.last_verified > claim
