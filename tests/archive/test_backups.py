"""Nightly metadata backups (restored into an empty database) and the second-site copy check."""

from __future__ import annotations

import datetime
import gzip
import json

from django.core import mail
from django.core.management import call_command

from archive import services, tasks
from storage.models import FileInstance, FileReplica, ReplicaState
from tests.archive.snapshot import snapshot

STAFF = "preservation@example.org"


def test_a_backup_restored_into_an_empty_database_gives_the_same_records(
    make_published, edit_files, depositor, community, curator, empty_instance, tmp_path
):
    from curation.services import accept, request_inclusion

    record = make_published({"table.csv": b"a,b\n1,2\n"}, title="Backed up")
    edit_files(record, depositor, {"table.csv": b"a,b\n1,2\n5,6\n"})
    accept(curator, request_inclusion(depositor, record, community))
    call_command("backup_metadata", str(tmp_path / "backups"))
    (dump,) = (tmp_path / "backups").iterdir()
    assert dump.name.startswith("metadata-") and dump.name.endswith(".json.gz")
    rows = json.loads(gzip.decompress(dump.read_bytes()))
    assert {"records.record", "audit.auditentry", "storage.fileinstance"} <= {r["model"] for r in rows}

    empty_instance.run("loaddata", dump, check=True)
    source, target = snapshot(), empty_instance.snapshot()
    assert target["records.record"]
    for part in source:
        assert target[part] == source[part], part


def test_backups_are_dated_and_only_the_newest_are_kept(db, tmp_path, settings):
    settings.BACKUP_DIR = tmp_path
    settings.BACKUP_KEEP = 2
    start = datetime.datetime(2026, 1, 1, 2, 37, tzinfo=datetime.UTC)
    for day in range(3):
        services.backup_metadata(tmp_path, now=start + datetime.timedelta(days=day))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "metadata-20260102T023700Z.json.gz",
        "metadata-20260103T023700Z.json.gz",
    ]
    written = tasks.backup_metadata()  # the beat job writes into BACKUP_DIR, keeping BACKUP_KEEP
    assert len(list(tmp_path.iterdir())) == 2 and written in {str(p) for p in tmp_path.iterdir()}


def test_staff_hear_of_files_without_a_verified_copy_at_a_second_site_in_one_email(
    make_published, settings, django_capture_on_commit_callbacks
):
    settings.STAFF_EMAILS = [STAFF]
    record = make_published({"a.bin": b"a\n", "b.bin": b"b\n", "c.bin": b"c\n"})
    instances = {v.file.key: v.instance for v in record.bucket.keys.get(key="a.bin").versions.all()}
    assert FileReplica.objects.filter(state=ReplicaState.VERIFIED).count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.check_second_copies() == 0
    assert mail.outbox == []

    a = instances["a.bin"]
    b = FileInstance.objects.get(versions__file__key="b.bin")
    FileReplica.objects.filter(instance=a).update(state=ReplicaState.DAMAGED)
    FileReplica.objects.filter(instance=b).delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.check_second_copies() == 2
    (message,) = mail.outbox
    assert message.to == [STAFF]
    assert a.path in message.body and b.path in message.body
    assert "replica=damaged" in message.body
    c = FileInstance.objects.get(versions__file__key="c.bin")
    assert c.path not in message.body


def test_the_second_site_e_mail_lists_at_most_the_configured_number_of_files(
    make_published, settings, django_capture_on_commit_callbacks
):
    settings.STAFF_EMAILS = [STAFF]
    settings.SECOND_COPY_ALERT_MAX_FILES = 1
    make_published({"a.bin": b"a\n", "b.bin": b"b\n", "c.bin": b"c\n"})
    FileReplica.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.check_second_copies() == 3
    (message,) = mail.outbox
    assert "These 3 stored files" in message.body
    assert "and 2 more" in message.body
    assert sum(path in message.body for path in FileInstance.objects.values_list("path", flat=True)) == 1
