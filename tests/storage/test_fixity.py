"""Fixity: every check is a history row; the beat sweep finds bad copies, repairs them from an intact
one, tells staff once, and a file with no intact copy left is marked damaged and not served."""

from __future__ import annotations

import hashlib

import pytest
from django.core import mail
from django.core.management import CommandError
from django.http import HttpResponse
from django.urls import reverse

from records.files import download_url
from repository.celery import app
from storage import services
from storage.models import FileInstance, FixityCheck, ReplicaState
from storage.tasks import fixity_sweep, verify_instances

PAYLOAD = b"replicate me, and keep me intact " * 100
STAFF = "desk@repository.example.org"


@pytest.fixture
def sweep_settings(settings):
    settings.STAFF_EMAILS = [STAFF]
    settings.FIXITY_CYCLE_DAYS = 1
    settings.FIXITY_SWEEP_INTERVAL_SECONDS = 86400  # one run per cycle: a run takes every file
    settings.FIXITY_MAX_MB_PER_S = None
    return settings


@pytest.fixture
def published(draft, depositor, publish, django_capture_on_commit_callbacks, sweep_settings):
    """A published record with one file (of a format without a preview, so it is the only stored
    instance), copied to the replica location; returns its instance."""
    with django_capture_on_commit_callbacks(execute=True):
        version = services.store_bytes(draft.bucket, "data.bin", PAYLOAD, depositor)
        publish(draft, depositor)
    instance = FileInstance.objects.select_related("location").get(pk=version.instance_id)
    assert instance.replicas.get().state == ReplicaState.VERIFIED
    FixityCheck.objects.all().delete()
    mail.outbox.clear()
    return instance


def _paths(instance):
    primary = instance.location.backend().local_path(instance.path)
    replica = instance.replicas.select_related("location").get()
    return primary, replica.location.backend().local_path(replica.path)


def _flip_one_byte(path):
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))


def _sweep(django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return fixity_sweep.delay().get()


def _history(instance):
    return [(c.location.name, c.result) for c in FixityCheck.objects.filter(instance=instance).order_by("pk")]


def test_the_beat_sweep_finds_a_flipped_byte_repairs_it_and_tells_staff_once(
    published, django_capture_on_commit_callbacks
):
    primary, _replica = _paths(published)
    _flip_one_byte(primary)
    assert _sweep(django_capture_on_commit_callbacks) == 1
    assert _history(published) == [
        ("primary", "mismatch"),
        ("replica", "ok"),
        ("primary", "repaired"),
        ("primary", "ok"),
        ("replica", "ok"),
    ]
    mismatch = FixityCheck.objects.get(result="mismatch")
    assert mismatch.expected == f"{published.md5} {published.sha256} size:{published.size}"
    assert mismatch.actual != mismatch.expected and mismatch.bytes_read == len(PAYLOAD)
    assert mismatch.duration >= 0 and mismatch.algorithm == "md5+sha256"
    data = primary.read_bytes()
    assert "md5:" + hashlib.md5(data).hexdigest() == published.md5
    assert "sha256:" + hashlib.sha256(data).hexdigest() == published.sha256
    [message] = mail.outbox
    assert message.to == [STAFF] and "repaired" in message.subject
    assert str(published.pk) in message.body and "primary" in message.body
    assert f"/admin/storage/fileinstance/{published.pk}/change/" in message.body
    published.refresh_from_db()
    assert published.verified_ok is True and not published.damaged and published.fixity_claimed is None
    # the next sweep finds it intact: two more ok rows and no e-mail
    assert _sweep(django_capture_on_commit_callbacks) == 1
    assert _history(published)[5:] == [("primary", "ok"), ("replica", "ok")]
    assert len(mail.outbox) == 1


def test_a_missing_replica_is_recreated(published, django_capture_on_commit_callbacks):
    _primary, replica_path = _paths(published)
    replica_path.unlink()
    _sweep(django_capture_on_commit_callbacks)
    assert _history(published) == [
        ("primary", "ok"),
        ("replica", "missing"),
        ("replica", "repaired"),
        ("primary", "ok"),
        ("replica", "ok"),
    ]
    assert replica_path.read_bytes() == PAYLOAD
    replica = published.replicas.get()
    assert replica.state == ReplicaState.VERIFIED and replica.last_result == "ok" and replica.verified_ok
    assert len(mail.outbox) == 1


def test_a_damaged_replica_is_marked_until_repaired(published):
    _primary, replica_path = _paths(published)
    replica_path.write_bytes(b"rot")
    assert services.verify(published) == {"primary": True, "replica": False}
    replica = published.replicas.get()
    assert (replica.state, replica.last_result, replica.verified_ok) == (
        ReplicaState.DAMAGED,
        "mismatch",
        False,
    )
    replica_path.unlink()
    services.verify(published)
    assert published.replicas.get().state == ReplicaState.MISSING


def test_no_intact_copy_marks_the_file_damaged_and_refuses_its_download(
    published, draft, client, django_capture_on_commit_callbacks
):
    url = download_url(draft.pk, "data.bin")
    assert client.get(url).status_code == 200
    primary, replica = _paths(published)
    _flip_one_byte(primary)
    replica.unlink()
    _sweep(django_capture_on_commit_callbacks)
    assert _history(published) == [
        ("primary", "mismatch"),
        ("replica", "missing"),
        ("primary", "unrepairable"),
    ]
    published.refresh_from_db()
    assert published.damaged and published.verified_ok is False
    assert published.replicas.get().state == ReplicaState.MISSING
    [message] = mail.outbox
    assert "damaged" in message.subject and "No intact copy" in message.body
    response = client.get(url)
    assert response.status_code == 503
    assert "failed its integrity check" in response.content.decode()
    assert PAYLOAD[:50] not in response.content
    all_files = client.get(reverse("storage:download_all", args=[draft.pk]))
    assert all_files.status_code == 503 and b"failed its integrity check" in all_files.content
    # the same incident found again by the next sweep: history, but no second e-mail
    _sweep(django_capture_on_commit_callbacks)
    assert _history(published)[3:] == [
        ("primary", "mismatch"),
        ("replica", "missing"),
        ("primary", "unrepairable"),
    ]
    assert len(mail.outbox) == 1
    # once an intact copy is back, the next check clears the mark and downloads work again
    primary.write_bytes(PAYLOAD)
    services.check_fixity(published)
    published.refresh_from_db()
    assert not published.damaged and replica.read_bytes() == PAYLOAD
    assert client.get(url).status_code == 200


def test_a_claimed_batch_is_checked_once_even_if_delivered_twice(
    published, django_capture_on_commit_callbacks
):
    ids, claim = services.claim_fixity_batch()
    assert ids == [str(published.pk)] and claim is not None
    assert services.claim_fixity_batch() == ([], None)  # held by the first sweep
    assert verify_instances.delay(ids, claim.isoformat()).get() == 0
    assert verify_instances.delay(ids, claim.isoformat()).get() == 0  # redelivered: nothing to do
    assert _history(published) == [("primary", "ok"), ("replica", "ok")]
    published.refresh_from_db()
    assert published.fixity_claimed is None


def test_sweeps_take_never_checked_files_first_and_size_batches_to_the_cycle(
    draft, depositor, sweep_settings
):
    sweep_settings.FIXITY_CYCLE_DAYS = 30
    sweep_settings.FIXITY_SWEEP_INTERVAL_SECONDS = 3600  # 720 runs per cycle
    sweep_settings.FIXITY_CHECK_AFTER_UPLOAD = False  # else the check after upload holds each new file
    assert services.fixity_batch_size(0) == 1
    assert services.fixity_batch_size(720) == 1
    assert services.fixity_batch_size(721) == 2
    assert services.fixity_batch_size(1_000_000) == 1389
    versions = [services.store_bytes(draft.bucket, f"f{i}.txt", b"x%d" % i, depositor) for i in range(3)]
    services.verify(versions[0].instance)
    ids, _claim = services.claim_fixity_batch(size=2)
    assert ids == [str(versions[1].instance_id), str(versions[2].instance_id)]
    ids, _claim = services.claim_fixity_batch(size=2)
    assert ids == [str(versions[0].instance_id)]


def test_beat_schedule_runs_the_fixity_sweep():
    app.loader.import_default_modules()
    entries = [e for e in app.conf.beat_schedule.values() if e["task"] == "storage.tasks.fixity_sweep"]
    assert len(entries) == 1 and entries[0]["schedule"] == 3600.0


def test_a_failed_repair_is_reported_and_left_for_the_next_check(
    published, monkeypatch, django_capture_on_commit_callbacks
):
    primary, _replica = _paths(published)
    _flip_one_byte(primary)
    backend_type = type(published.location.backend())

    def refuse(self, path, stream, size=None):
        raise OSError("disk full")

    monkeypatch.setattr(backend_type, "save_stream", refuse)
    _sweep(django_capture_on_commit_callbacks)
    assert _history(published) == [("primary", "mismatch"), ("replica", "ok")]
    published.refresh_from_db()
    assert not published.damaged and published.verified_ok is False
    [message] = mail.outbox
    assert "failed its check" in message.subject and "disk full" in message.body
    monkeypatch.undo()
    _sweep(django_capture_on_commit_callbacks)
    assert _history(published)[2:] == [
        ("primary", "mismatch"),
        ("replica", "ok"),
        ("primary", "repaired"),
        ("primary", "ok"),
        ("replica", "ok"),
    ]
    assert primary.read_bytes() == PAYLOAD


def test_checks_read_at_most_fixity_max_mb_per_s(published, sweep_settings, monkeypatch):
    from storage.services import replicas

    waits: list[float] = []
    monkeypatch.setattr(replicas, "_pause", waits.append)
    sweep_settings.FIXITY_MAX_MB_PER_S = 0.001  # 1,000 bytes a second
    services.verify(published)
    # two copies of 3,300 bytes: each read waits until about 3.3 s have passed
    assert len(waits) >= 2 and 3.0 < max(waits) <= 3.3


def test_serving_a_damaged_version_answers_503_without_bytes(published, rf):
    from storage.downloads import serve_version

    version = published.versions.select_related("file", "instance__location").get()
    FileInstance.objects.filter(pk=published.pk).update(damaged=True)
    version.instance.refresh_from_db()
    response = serve_version(rf.get("/"), version, attachment=True)
    assert isinstance(response, HttpResponse) and response.status_code == 503
    assert b"failed its integrity check" in response.content and PAYLOAD[:50] not in response.content


def test_verify_fixity_command_repairs_and_reports_bytes_and_speed(published, draft):
    import io

    from django.core.management import call_command

    _primary, replica = _paths(published)
    _flip_one_byte(replica)
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_fixity", "--location", "replica", stdout=out, stderr=err)
    assert "Verified 1 file(s): 0 intact, 1 failed." in out.getvalue()
    assert f"Read {2 * len(PAYLOAD)} bytes in" in out.getvalue() and "MB/s" in out.getvalue()
    assert "failures 1, repaired 1, damaged 0." in out.getvalue()
    assert f"FAILED {published.pk}" in err.getvalue() and "repaired" in err.getvalue()
    assert replica.read_bytes() == PAYLOAD
    with pytest.raises(CommandError, match="no storage location named 'elsewhere'"):
        call_command("verify_fixity", "--all", "--location", "elsewhere", stdout=out)
    with pytest.raises(CommandError, match="--all, --record ID or --location NAME"):
        call_command("verify_fixity", stdout=out)
    call_command("verify_fixity", "--record", str(draft.pk), stdout=out)
    assert out.getvalue().endswith("failures 0, repaired 0, damaged 0.\n")
