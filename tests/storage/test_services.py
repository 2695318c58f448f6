"""Storage verbs: versions, publish and discard, quotas, faults and stale uploads."""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import threading

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import AuditEntry
from storage import services
from storage.models import FileInstance, FileKey, FileVersion, Upload, VersionState
from tests.storage.conftest import md5_hex, sha256_hex, stored_files


def read_version(version: FileVersion) -> bytes:
    with version.instance.location.backend().open_read(version.instance.path) as handle:
        return handle.read()


def test_store_stream_records_both_checksums_and_the_bytes(draft, depositor):
    data = b"hello, world\n" * 1000
    version = services.store_stream(
        draft.bucket, "data/hello.txt", io.BytesIO(data), depositor, size=len(data)
    )
    instance = version.instance
    assert instance.size == len(data)
    assert instance.md5 == "md5:" + md5_hex(data)
    assert instance.sha256 == "sha256:" + sha256_hex(data)
    assert read_version(version) == data
    assert version.state == VersionState.STAGED and version.number is None
    assert version.mimetype == "text/plain"
    assert AuditEntry.objects.filter(verb="store_file", object_id=str(draft.pk)).exists()


def test_large_stream_is_hashed_in_threads_and_matches(draft, depositor):
    data = bytes(range(256)) * (9 * 1024 * 4)  # 9 MiB: several blocks through the hashing threads
    version = services.store_stream(draft.bucket, "big.bin", io.BytesIO(data), depositor, size=len(data))
    assert version.instance.sha256 == "sha256:" + sha256_hex(data)
    assert version.instance.md5 == "md5:" + md5_hex(data)


def test_empty_files_are_allowed(draft, depositor):
    version = services.store_bytes(draft.bucket, "empty.txt", b"", depositor)
    assert version.instance.size == 0
    assert version.instance.md5 == "md5:d41d8cd98f00b204e9800998ecf8427e"


def test_publish_numbers_versions_and_a_new_version_keeps_the_old_bytes(draft, depositor, publish, open_edit):
    old = b"first version \x00\xff" * 500
    services.store_bytes(draft.bucket, "table.csv", old, depositor)
    record = publish(draft, depositor)
    [v1] = FileVersion.objects.filter(file__bucket=record.bucket)
    assert (v1.number, v1.state) == (1, VersionState.PUBLISHED)
    old_path = v1.instance.location.backend().local_path(v1.instance.path)
    old_stat = old_path.stat()

    record = open_edit(record, depositor)
    new = b"second version" * 300
    staged = services.store_bytes(record.bucket, "table.csv", new, depositor)
    # While staged, the published state is unchanged.
    assert [f["md5"] for f in services.current_files(record.bucket)] == ["md5:" + md5_hex(old)]
    record = publish(record, depositor)
    staged.refresh_from_db()
    assert staged.number == 2
    current = services.current_files(record.bucket)
    assert [(f["key"], f["version"], f["md5"]) for f in current] == [("table.csv", 2, "md5:" + md5_hex(new))]
    v1.refresh_from_db()
    assert read_version(v1) == old  # byte for byte
    assert old_path.stat().st_mtime_ns == old_stat.st_mtime_ns
    assert services.find_version(record.bucket, "table.csv", "1", privileged=False).pk == v1.pk


def test_replacing_a_staged_file_drops_the_unpublished_bytes(draft, depositor, primary_root):
    first = services.store_bytes(draft.bucket, "a.txt", b"one", depositor)
    first_path = first.instance.location.backend().local_path(first.instance.path)
    services.store_bytes(draft.bucket, "a.txt", b"two", depositor)
    assert FileVersion.objects.filter(file__bucket=draft.bucket).count() == 1
    assert not FileInstance.objects.filter(pk=first.instance_id).exists()
    # The bytes go after commit; in this test's transaction they are still there.
    assert first_path.exists()


def test_removing_a_key_in_an_edit_draft_hides_it_but_keeps_its_versions(
    draft, depositor, publish, open_edit
):
    services.store_bytes(draft.bucket, "keep.txt", b"keep", depositor)
    services.store_bytes(draft.bucket, "drop.txt", b"drop", depositor)
    record = publish(draft, depositor)
    record = open_edit(record, depositor)
    services.remove_file(record.bucket, "drop.txt", depositor)
    statuses = {wf.key: wf.status for wf in services.working_files(record.bucket)}
    assert statuses == {"keep.txt": "unchanged", "drop.txt": "removed"}
    assert {f["key"] for f in services.current_files(record.bucket)} == {
        "keep.txt",
        "drop.txt",
    }  # not yet published
    record = publish(record, depositor)
    assert {f["key"] for f in services.current_files(record.bucket)} == {"keep.txt"}
    dropped = FileVersion.objects.get(file__key="drop.txt")
    assert read_version(dropped) == b"drop"
    assert dropped.state == VersionState.PUBLISHED
    with pytest.raises(services.FileMissing):
        services.find_version(record.bucket, "drop.txt", None, privileged=False)
    # Owners still reach the removed key's versions through the history.
    assert services.find_version(record.bucket, "drop.txt", "1", privileged=True).pk == dropped.pk


def test_discarding_an_edit_draft_drops_staged_versions_and_removals(draft, depositor, publish, open_edit):
    from records.services import discard_edit

    services.store_bytes(draft.bucket, "a.txt", b"published", depositor)
    record = publish(draft, depositor)
    record = open_edit(record, depositor)
    services.store_bytes(record.bucket, "a.txt", b"staged", depositor)
    services.store_bytes(record.bucket, "b.txt", b"new", depositor)
    services.remove_file(record.bucket, "a.txt", depositor)
    record = discard_edit(record, depositor)
    assert [(f["key"], f["version"]) for f in services.current_files(record.bucket)] == [("a.txt", 1)]
    assert not FileKey.objects.filter(bucket=record.bucket, key="b.txt").exists()
    assert FileVersion.objects.filter(file__bucket=record.bucket, state=VersionState.STAGED).count() == 0
    assert not FileKey.objects.filter(bucket=record.bucket, remove_staged=True).exists()


def test_files_of_a_published_record_without_edit_draft_cannot_change(draft, depositor, publish):
    services.store_bytes(draft.bucket, "a.txt", b"x", depositor)
    record = publish(draft, depositor)
    with pytest.raises(services.NotEditable):
        services.store_bytes(record.bucket, "a.txt", b"y", depositor)
    with pytest.raises(services.NotEditable):
        services.remove_file(record.bucket, "a.txt", depositor)


def test_quota_refuses_a_declared_size_before_any_byte_is_stored(draft, depositor, settings, primary_root):
    settings.RECORD_QUOTA_BYTES = 1000
    services.store_bytes(draft.bucket, "a.bin", b"x" * 600, depositor)
    before = stored_files(primary_root)
    read_calls = []

    def read(size):
        read_calls.append(size)
        return b"y" * size

    with pytest.raises(services.QuotaExceeded) as caught:
        services.store_stream(draft.bucket, "b.bin", read, depositor, size=500)
    message = caught.value.message
    # one size format everywhere (this said "1.0 kB" before)
    assert "quota of 1 kB" in message and "600 bytes are already in use" in message
    assert caught.value.details["limit"] == 1000 and caught.value.details["used"] == 600
    assert read_calls == []
    assert stored_files(primary_root) == before
    assert not Upload.objects.exists()
    # Replacing a key counts the new size instead of the old one.
    services.store_bytes(draft.bucket, "a.bin", b"z" * 900, depositor)


def test_quota_stops_a_stream_of_unknown_size_when_it_passes(draft, depositor, settings, primary_root):
    settings.RECORD_QUOTA_BYTES = 3 * 1024 * 1024
    endless = io.BytesIO(b"q" * (8 * 1024 * 1024))
    before = stored_files(primary_root)
    with pytest.raises(services.QuotaExceeded):
        services.store_stream(draft.bucket, "huge.bin", endless, depositor)
    assert endless.tell() < 8 * 1024 * 1024  # stopped early, not read to the end
    assert stored_files(primary_root) == before
    assert not FileKey.objects.filter(bucket=draft.bucket).exists()


def test_file_count_limit(draft, depositor, settings):
    settings.RECORD_MAX_FILES = 2
    services.store_bytes(draft.bucket, "1", b"", depositor)
    services.store_bytes(draft.bucket, "2", b"", depositor)
    services.store_bytes(draft.bucket, "2", b"again", depositor)  # a new version is not a new file
    with pytest.raises(services.QuotaExceeded) as caught:
        services.store_bytes(draft.bucket, "3", b"", depositor)
    assert "limit is 2" in caught.value.message


def test_staff_can_raise_a_records_quota(draft, depositor, staff, settings):
    settings.RECORD_QUOTA_BYTES = 10
    with pytest.raises(services.QuotaExceeded):
        services.store_bytes(draft.bucket, "a", b"x" * 20, depositor)
    services.set_quota(staff, draft.bucket, max_bytes=100, max_files=5, reason="large dataset")
    services.store_bytes(draft.bucket, "a", b"x" * 20, depositor)
    entry = AuditEntry.objects.get(verb="set_quota")
    assert entry.after == {"max_bytes": 100, "max_files": 5} and entry.actor == staff


def test_a_shorter_stream_than_declared_leaves_nothing(draft, depositor, primary_root):
    before = stored_files(primary_root)
    with pytest.raises(services.IncompleteUpload):
        services.store_stream(draft.bucket, "cut.bin", io.BytesIO(b"abc"), depositor, size=10)
    assert stored_files(primary_root) == before
    assert not Upload.objects.exists() and not FileInstance.objects.exists()


def test_a_longer_stream_than_declared_is_refused(draft, depositor, primary_root):
    before = stored_files(primary_root)
    with pytest.raises(services.TooManyBytes):
        services.store_stream(draft.bucket, "long.bin", io.BytesIO(b"abcdefghijkl"), depositor, size=10)
    assert stored_files(primary_root) == before


def test_disk_full_removes_the_partial_file(draft, depositor, primary_root, monkeypatch):
    from storage import streams

    real_write = streams._write_all
    calls = {"n": 0}

    def failing_write(out, block):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(out, block)

    monkeypatch.setattr(streams, "_write_all", failing_write)
    before = stored_files(primary_root)
    data = b"d" * (5 * 1024 * 1024)
    with pytest.raises(services.StorageFull) as caught:
        services.store_stream(draft.bucket, "full.bin", io.BytesIO(data), depositor, size=len(data))
    assert "full" in caught.value.message
    assert caught.value.status == 507
    assert stored_files(primary_root) == before
    assert not Upload.objects.exists() and not FileVersion.objects.exists()


def test_disk_full_during_a_chunk_removes_the_upload(draft, depositor, primary_root, monkeypatch):
    from storage import streams

    upload = services.create_upload(draft.bucket, "c.bin", 4 * 1024 * 1024, depositor)
    services.write_chunk(upload, 0, io.BytesIO(b"a" * 1024 * 1024).read, 1024 * 1024)

    def failing_write(out, block):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(streams, "_write_all", failing_write)
    with pytest.raises(services.StorageFull):
        services.write_chunk(upload, 1024 * 1024, io.BytesIO(b"b" * 1024 * 1024).read, 1024 * 1024)
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert not (primary_root / upload.path).exists()


def test_chunks_continue_the_hash_state_in_the_row_and_the_finish_reads_nothing(
    draft, depositor, monkeypatch
):
    """Each chunk continues MD5 and SHA-256 from the state the previous one left in the upload's row
    (so any process can take the next chunk), and the finish reads no byte back."""
    from storage import streams

    reads = []
    monkeypatch.setattr(streams, "feed_file", lambda *args: reads.append(args[2:]))
    data = os.urandom(5 * 1_000_000)
    upload = services.create_upload(draft.bucket, "hopping.bin", len(data), depositor)
    states = []
    for start in range(0, len(data), 1_000_000):
        # a fresh row each time, as another worker process would load it
        services.write_chunk(
            Upload.objects.get(pk=upload.pk),
            start,
            io.BytesIO(data[start : start + 1_000_000]).read,
            1_000_000,
        )
        states.append(bytes(Upload.objects.get(pk=upload.pk).hash_state))
    assert len(set(states)) == 5  # a new state after every chunk
    version = services.finish_upload(Upload.objects.get(pk=upload.pk), depositor, sha256=sha256_hex(data))
    assert reads == []
    assert version.instance.md5 == "md5:" + md5_hex(data)
    assert version.instance.sha256 == "sha256:" + sha256_hex(data)


def test_an_upload_without_a_saved_hash_state_is_read_back_once_at_finish(draft, depositor):
    data = os.urandom(3 * 1_000_000)
    upload = services.create_upload(draft.bucket, "stateless.bin", len(data), depositor)
    services.write_chunk(upload, 0, io.BytesIO(data[:1_000_000]).read, 1_000_000)
    Upload.objects.filter(pk=upload.pk).update(hash_state=None)  # e.g. begun before the state was kept
    services.write_chunk(
        Upload.objects.get(pk=upload.pk), 1_000_000, io.BytesIO(data[1_000_000:]).read, 2_000_000
    )
    assert Upload.objects.get(pk=upload.pk).hash_state is None
    version = services.finish_upload(Upload.objects.get(pk=upload.pk), depositor, md5=md5_hex(data))
    assert version.instance.sha256 == "sha256:" + sha256_hex(data)


def test_a_dropped_chunk_keeps_what_arrived(draft, depositor):
    data = b"0123456789" * 100_000
    upload = services.create_upload(draft.bucket, "drop.bin", len(data), depositor)
    # The client promised 600 000 bytes but the connection died after 250 000.
    upload = services.write_chunk(upload, 0, io.BytesIO(data[:250_000]).read, 600_000)
    assert Upload.objects.get(pk=upload.pk).offset == 250_000
    with pytest.raises(services.WrongOffset) as caught:
        services.write_chunk(upload, 600_000, io.BytesIO(b"").read, 0)
    assert caught.value.details["offset"] == 250_000
    services.write_chunk(upload, 250_000, io.BytesIO(data[250_000:]).read, len(data) - 250_000)
    version = services.finish_upload(Upload.objects.get(pk=upload.pk), depositor)
    assert version.instance.sha256 == "sha256:" + sha256_hex(data)
    assert not FileVersion.objects.exclude(pk=version.pk).exists()


def test_finishing_before_every_byte_arrived_is_refused(draft, depositor):
    upload = services.create_upload(draft.bucket, "x.bin", 10, depositor)
    services.write_chunk(upload, 0, io.BytesIO(b"12345").read, 5)
    with pytest.raises(services.IncompleteUpload) as caught:
        services.finish_upload(Upload.objects.get(pk=upload.pk), depositor)
    assert caught.value.details["offset"] == 5
    assert not FileVersion.objects.exists()


def test_a_declared_checksum_that_does_not_match_removes_the_upload(draft, depositor, primary_root):
    upload = services.create_upload(draft.bucket, "x.bin", 3, depositor)
    services.write_chunk(upload, 0, io.BytesIO(b"abc").read, 3)
    with pytest.raises(services.ChecksumMismatch):
        services.finish_upload(Upload.objects.get(pk=upload.pk), depositor, md5="0" * 32)
    assert not Upload.objects.exists()
    assert not (primary_root / upload.path).exists()


def test_stale_uploads_are_removed_with_their_bytes(draft, depositor, primary_root):
    from storage.tasks import remove_stale_uploads

    old = services.create_upload(draft.bucket, "old.bin", 100, depositor)
    services.write_chunk(old, 0, io.BytesIO(b"o" * 40).read, 40)
    fresh = services.create_upload(draft.bucket, "fresh.bin", 100, depositor)
    Upload.objects.filter(pk=old.pk).update(updated=timezone.now() - dt.timedelta(hours=25))
    Upload.objects.filter(pk=fresh.pk).update(updated=timezone.now() - dt.timedelta(hours=23))
    assert (primary_root / old.path).exists()
    assert remove_stale_uploads.delay().get() == 1
    assert list(Upload.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not (primary_root / old.path).exists()
    assert (primary_root / fresh.path).exists()
    assert AuditEntry.objects.filter(verb="expire_upload", object_id=str(draft.pk)).count() == 1


def test_beat_schedule_includes_the_stale_upload_cleanup():
    from repository.celery import app

    app.loader.import_default_modules()
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "storage.tasks.remove_stale_uploads" in tasks


def test_storing_replicates_and_verify_detects_and_repair_fixes(
    draft, depositor, publish, settings, django_capture_on_commit_callbacks
):
    assert len(settings.STORAGE_LOCATIONS) == 2  # tests configure primary + replica
    with django_capture_on_commit_callbacks(execute=True):
        version = services.store_bytes(draft.bucket, "r.txt", b"replicate me", depositor)
    with django_capture_on_commit_callbacks(execute=True):
        publish(draft, depositor)
    instance = FileInstance.objects.get(pk=version.instance_id)
    [replica] = instance.replicas.all()
    replica_path = replica.location.backend().local_path(replica.path)
    assert replica_path.read_bytes() == b"replicate me"
    assert services.verify(instance) == {"primary": True, "replica": True}
    replica_path.write_bytes(b"bit rot")
    assert services.verify(instance) == {"primary": True, "replica": False}
    assert services.repair(instance) == {"primary": True, "replica": True}
    assert replica_path.read_bytes() == b"replicate me"
    assert AuditEntry.objects.filter(verb="repair").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_uploads_to_the_same_key_at_once_leave_one_whole_version(depositor, metadata):
    from records.services import create_draft

    record = create_draft(depositor, metadata)
    payloads = {"a": b"A" * (3 * 1024 * 1024 + 7), "b": b"B" * (2 * 1024 * 1024 + 3)}
    barrier = threading.Barrier(2)
    results, errors = {}, []

    def upload(name):
        try:
            data = payloads[name]
            stream = io.BytesIO(data)
            barrier.wait()

            def read(size):
                return stream.read(min(size, 64 * 1024))

            results[name] = services.store_stream(record.bucket, "same.bin", read, depositor, size=len(data))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(name,)) for name in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    [staged] = FileVersion.objects.filter(file__bucket=record.bucket, file__key="same.bin")
    data = read_version(staged)
    assert data in payloads.values()  # one whole upload, never a mix
    assert staged.instance.sha256 == "sha256:" + sha256_hex(data)
    winner = max(results.values(), key=lambda v: v.pk)
    assert staged.pk == winner.pk  # the later one is the newer version
    assert not Upload.objects.exists()


def test_seed_files_gives_published_records_real_files(depositor, draft, publish):
    from repository.demo import seed_files

    record = publish(draft, depositor)
    other = publish(services_draft(depositor), depositor)
    assert seed_files([record, other], 2, depositor) == 4
    assert seed_files([record], 2, depositor) == 0  # idempotent
    files = services.current_files(record.bucket)
    assert [f["key"] for f in files] == ["data/results-1.csv", "data/results-2.csv"]
    for item in files:
        version = services.find_version(record.bucket, item["key"], None, privileged=False)
        data = read_version(version)
        assert item["sha256"] == "sha256:" + sha256_hex(data) and item["size"] == len(data) > 0
        assert version.number == 1
    assert AuditEntry.objects.filter(verb="store_file", object_id=str(other.pk)).count() == 2


def services_draft(user):
    from records.services import create_draft
    from tests.records.conftest import make_metadata

    return create_draft(user, make_metadata(title="Another record"))


def test_deleting_a_draft_removes_its_staged_bytes(
    draft, depositor, primary_root, django_capture_on_commit_callbacks
):
    from records.services import delete_draft

    before = stored_files(primary_root)
    version = services.store_bytes(draft.bucket, "a.txt", b"draft bytes", depositor)
    services.create_upload(draft.bucket, "pending.bin", 10, depositor)
    path = version.instance.location.backend().local_path(version.instance.path)
    with django_capture_on_commit_callbacks(execute=True):
        delete_draft(draft, depositor)
    assert not path.exists()
    assert not FileInstance.objects.exists() and not Upload.objects.exists()
    assert stored_files(primary_root) == before


def test_a_second_writer_on_the_same_upload_is_told_to_wait(draft, depositor):
    upload = services.create_upload(draft.bucket, "busy.bin", 10, depositor)
    backend = upload.location.backend()
    with backend.resume_upload(upload.path).writer(0, lock=True):  # another request is writing
        with pytest.raises(services.UploadBusy) as caught:
            services.write_chunk(upload, 0, io.BytesIO(b"12345").read, 5)
        assert caught.value.status == 409 and caught.value.details["offset"] == 0
    services.write_chunk(upload, 0, io.BytesIO(b"12345").read, 5)
    assert Upload.objects.get(pk=upload.pk).offset == 5


def test_the_bucket_is_unlocked_only_while_a_draft_or_edit_draft_is_open(
    draft, depositor, staff, publish, open_edit
):
    from records.services import discard_edit, reinstate, withdraw
    from storage.models import Bucket

    def locked(record):
        return Bucket.objects.get(pk=record.bucket_id).locked

    assert (draft.bucket.subject_type, draft.bucket.subject_id) == ("records.record", str(draft.pk))
    assert not locked(draft)
    record = publish(draft, depositor)
    assert locked(record)
    record = open_edit(record, depositor)
    assert not locked(record)
    record = withdraw(record, staff, "Duplicate")
    assert locked(record)
    record = reinstate(record, staff)
    assert not locked(record)  # its edit draft is still open
    record = discard_edit(record, depositor)
    assert locked(record)
