"""Replicas: every stored file gets a pending copy in each other location, copied and read back by a task;
a copy that fails stays pending and is taken up again; removed locations are reported, not dropped."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone

from repository.celery import app
from repository.env import parse_location_sites
from storage import services
from storage.models import FileInstance, FileReplica, FixityCheck, Location, ReplicaState
from storage.tasks import replicate_pending

PAYLOAD = b"one copy is none " * 200
STAFF = "desk@repository.example.org"


@pytest.fixture
def two_locations(settings, tmp_path):
    """primary + replica under tmp_path (the replica's folder can be blocked: see ``block``)."""
    settings.STORAGE_LOCATIONS = [
        ("primary", f"file://{tmp_path}/primary"),
        ("replica", f"file://{tmp_path}/sites/replica"),
    ]
    settings.STORAGE_LOCATION_SITES = {"primary": "stockholm", "replica": "offsite"}
    settings.STAFF_EMAILS = [STAFF]
    settings.FIXITY_MAX_MB_PER_S = None
    return tmp_path


def block(tmp_path):
    """The replica location becomes unreachable: its parent folder is a plain file."""
    (tmp_path / "sites").mkdir(exist_ok=True)
    (tmp_path / "sites").rmdir()
    (tmp_path / "sites").write_bytes(b"not a folder")


def unblock(tmp_path):
    (tmp_path / "sites").unlink()


def _history(instance):
    return [(c.location.name, c.result) for c in FixityCheck.objects.filter(instance=instance).order_by("pk")]


def _store(draft, depositor, capture, key="data.bin", data=PAYLOAD):
    with capture(execute=True):
        version = services.store_bytes(draft.bucket, key, data, depositor)
    return FileInstance.objects.select_related("location").get(pk=version.instance_id)


def test_a_stored_file_is_copied_read_back_and_checked_after_upload(
    two_locations, draft, depositor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        version = services.store_bytes(draft.bucket, "data.bin", PAYLOAD, depositor)
    replica = FileReplica.objects.select_related("location").get(instance=version.instance_id)
    assert (replica.state, replica.location.name) == (ReplicaState.PENDING, "replica")  # nothing forgotten
    instance = FileInstance.objects.get(pk=version.instance_id)
    assert instance.fixity_claimed is not None  # held for the check after upload
    for callback in callbacks:
        callback()
    replica.refresh_from_db()
    assert replica.state == ReplicaState.VERIFIED and replica.verified_ok and replica.last_result == "ok"
    assert replica.claimed_by == "" and replica.last_verified is not None
    copy = two_locations / "sites" / "replica" / replica.path
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == instance.sha256.removeprefix("sha256:")
    # the copy read back (its own row), and the primary's bytes re-read after the upload
    assert _history(instance) == [("replica", "ok"), ("primary", "ok")]
    check = FixityCheck.objects.get(location__name="primary")
    assert check.bytes_read == len(PAYLOAD) and check.actual == check.expected
    instance.refresh_from_db()
    assert instance.verified_ok and instance.fixity_claimed is None and instance.last_verified
    assert Location.objects.get(name="replica").site == "offsite"


def test_an_unreachable_location_leaves_the_replica_pending_until_the_beat_job_copies_it(
    two_locations, draft, depositor, settings, django_capture_on_commit_callbacks
):
    block(two_locations)
    instance = _store(draft, depositor, django_capture_on_commit_callbacks)  # the upload itself succeeds
    replica = instance.replicas.get()
    assert replica.state == ReplicaState.PENDING and replica.attempts == 1
    assert replica.last_result == "error" and replica.last_error and replica.claimed_by == ""
    assert _history(instance) == [("primary", "ok")]
    # fixity checks leave pending copies to the copier (no "missing" alarm, no e-mail)
    assert services.check_fixity(instance).found == {"primary": True}
    assert mail.outbox == []
    out = io.StringIO()
    call_command("verify_fixity", "--all", stdout=out)
    assert "1 replica(s) still wait for their copy" in out.getvalue()
    unblock(two_locations)
    settings.REPLICATION_PENDING_MINUTES = 10
    assert replicate_pending.delay().get() == 0  # not pending long enough yet
    FileReplica.objects.filter(pk=replica.pk).update(created=timezone.now() - dt.timedelta(minutes=11))
    assert replicate_pending.delay().get() == 1
    replica.refresh_from_db()
    assert replica.state == ReplicaState.VERIFIED and replica.attempts == 1 and replica.last_error == ""
    assert (two_locations / "sites" / "replica" / replica.path).read_bytes() == PAYLOAD
    assert replicate_pending.delay().get() == 0


def test_retries_back_off_exponentially_up_to_the_maximum(settings):
    settings.REPLICATION_RETRY_BACKOFF_SECONDS = 30
    settings.REPLICATION_RETRY_BACKOFF_MAX_SECONDS = 3600
    assert [services.replication_backoff(n) for n in range(9)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    app.loader.import_default_modules()
    entries = [e for e in app.conf.beat_schedule.values() if e["task"] == "storage.tasks.replicate_pending"]
    assert len(entries) == 1 and entries[0]["schedule"] == 600.0


def test_a_claimed_copy_is_made_once(two_locations, draft, depositor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        version = services.store_bytes(draft.bucket, "data.bin", PAYLOAD, depositor)
    instance = FileInstance.objects.select_related("location").get(pk=version.instance_id)
    replica = instance.replicas.get()
    FileReplica.objects.filter(pk=replica.pk).update(claimed_by="task-1", claimed_at=timezone.now())
    assert services.replicate(instance, claim="task-2").copied == []  # another task holds it
    assert instance.replicas.get().state == ReplicaState.PENDING
    # the same task delivered again takes its own claim back
    assert len(services.replicate(instance, claim="task-1").copied) == 1
    assert services.replicate(instance, claim="task-1").copied == []  # done: nothing left
    assert _history(instance) == [("replica", "ok")]


def test_a_corrupt_upload_is_found_by_the_check_after_upload(
    two_locations, draft, depositor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        version = services.store_bytes(draft.bucket, "data.bin", PAYLOAD, depositor)
    instance = FileInstance.objects.select_related("location").get(pk=version.instance_id)
    stored = two_locations / "primary" / instance.path
    data = bytearray(stored.read_bytes())
    data[7] ^= 0x20
    stored.write_bytes(bytes(data))
    with django_capture_on_commit_callbacks(execute=True):  # the staff e-mail is queued on commit
        for callback in callbacks:
            callback()
    # the copy refused the bad bytes (stays pending); the check after upload found them, and the full
    # check it hands over to read every copy again (no intact one: damaged)
    assert instance.replicas.get().state == ReplicaState.PENDING
    assert _history(instance) == [
        ("primary", "mismatch"),
        ("primary", "mismatch"),
        ("primary", "unrepairable"),
    ]
    instance.refresh_from_db()
    assert instance.damaged and instance.verified_ok is False and instance.fixity_claimed is None
    [message] = mail.outbox
    assert message.to == [STAFF] and "damaged" in message.subject


def test_files_stored_before_a_location_was_added_are_copied_there(
    two_locations, draft, depositor, settings, django_capture_on_commit_callbacks
):
    instance = _store(draft, depositor, django_capture_on_commit_callbacks)
    settings.STORAGE_LOCATIONS = [*settings.STORAGE_LOCATIONS, ("tape", f"file://{two_locations}/tape")]
    assert replicate_pending.delay().get() == 1
    tape = instance.replicas.get(location__name="tape")
    assert tape.state == ReplicaState.VERIFIED
    assert (two_locations / "tape" / tape.path).read_bytes() == PAYLOAD


def test_a_removed_location_is_reported_not_dropped(
    two_locations, draft, depositor, settings, django_capture_on_commit_callbacks
):
    instance = _store(draft, depositor, django_capture_on_commit_callbacks)
    settings.STORAGE_LOCATIONS = settings.STORAGE_LOCATIONS[:1]
    settings.STORAGE_LOCATION_SITES = {}
    [gone] = services.unconfigured_replicas()
    assert (gone.location.name, gone.location.active, gone.replicas) == ("replica", False, 1)
    assert gone.states["verified"] == 1
    assert instance.replicas.count() == 1  # still on record
    FixityCheck.objects.all().delete()
    assert services.check_fixity(instance).found == {"primary": True}  # not read while unconfigured
    out = io.StringIO()
    call_command("verify_fixity", "--all", stdout=out)
    assert "Location 'replica' is no longer in STORAGE_LOCATIONS: it holds 1 replica(s)" in out.getvalue()
    assert "verified 1" in out.getvalue()


def test_a_discarded_file_takes_its_copies_along(
    two_locations, draft, depositor, django_capture_on_commit_callbacks
):
    instance = _store(draft, depositor, django_capture_on_commit_callbacks)
    copy = two_locations / "sites" / "replica" / instance.replicas.get().path
    assert copy.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.discard_staged(draft.bucket, depositor)
    assert not copy.exists() and not (two_locations / "primary" / instance.path).exists()
    assert not FileReplica.objects.exists()


def test_location_sites_are_parsed_and_checked():
    locations = [("primary", "file:///a"), ("s3", "s3://b/c")]
    assert parse_location_sites("primary=stockholm s3=offsite", locations) == {
        "primary": "stockholm",
        "s3": "offsite",
    }
    assert parse_location_sites("", locations) == {}
    with pytest.raises(ImproperlyConfigured, match="one of STORAGE_LOCATIONS"):
        parse_location_sites("tape=basement", locations)
    with pytest.raises(ImproperlyConfigured, match="name=site"):
        parse_location_sites("primary", locations)


def test_an_unreachable_replica_location_is_neither_a_failure_nor_repaired(
    two_locations, draft, depositor, monkeypatch, django_capture_on_commit_callbacks
):
    instance = _store(draft, depositor, django_capture_on_commit_callbacks)
    FixityCheck.objects.all().delete()
    backend_type = type(instance.location.backend())
    exists = backend_type.exists

    def unreachable(self, path):
        if "sites" in str(self.full_path(path)):
            raise OSError("connection refused")
        return exists(self, path)

    monkeypatch.setattr(backend_type, "exists", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.check_fixity(instance)
    assert outcome.found == {"primary": True} and not outcome.failed and outcome.unreachable == ["replica"]
    assert _history(instance) == [("primary", "ok"), ("replica", "unreachable")]
    assert FixityCheck.objects.get(result="unreachable").actual == "connection refused"
    replica = instance.replicas.get()
    assert replica.state == ReplicaState.VERIFIED and replica.last_result == "unreachable"  # state stands
    assert mail.outbox == []  # an outage is not a damaged file: no e-mail for each file checked
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_fixity", "--all", stdout=out, stderr=err)
    assert f"UNREACHABLE {instance.pk}" in err.getvalue() and "0 failed" in out.getvalue()
    monkeypatch.undo()
    assert services.check_fixity(instance).found == {"primary": True, "replica": True}
