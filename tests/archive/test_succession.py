"""Succession: export_bags from this instance, import_bags into an empty one (its own database and
storage, run as a separate process), compared field by field; resumable export; refusals."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from archive import bags, succession
from records.models import Record
from storage.models import FileInstance
from tests.archive.conftest import bagit_validate, flip_one_byte
from tests.archive.snapshot import snapshot


@pytest.fixture
def repository_state(make_published, edit_files, depositor, curator, community, staff):
    """Three records: one edited (two versions of a file), one accepted into a community after a
    conversation, one withdrawn."""
    from curation.services import accept, comment, request_inclusion
    from records.services import withdraw

    edited = make_published({"table.csv": b"a,b\n1,2\n", "notes.md": b"# notes\n"}, title="Edited")
    edit_files(edited, depositor, {"table.csv": b"a,b\n1,2\n3,4\n"})
    member = make_published({"paper.txt": b"the paper\n"}, title="Member")
    req = request_inclusion(depositor, member, community, message="Please include it.")
    comment(curator, req, "<p>Looks good.</p>")
    accept(curator, req)
    gone = make_published({"old.txt": b"old\n"}, title="Withdrawn")
    withdraw(gone, staff, "Duplicate of another record.")
    return [edited, member, gone]


def test_export_then_import_into_an_empty_instance_gives_the_same_repository(
    repository_state, empty_instance, tmp_path
):
    dest = tmp_path / "export"
    progress = io.StringIO()
    call_command("export_bags", str(dest), stderr=progress, stdout=io.StringIO())
    assert "export: 100%" in progress.getvalue() and "3/3" in progress.getvalue()  # the progress bar
    ids = sorted(r.pk for r in repository_state)
    assert sorted(int(p.name) for p in (dest / "records").iterdir()) == ids
    for record_id in ids:
        assert bagit_validate(dest / "records" / str(record_id)).returncode == 0
    tombstone = json.loads((dest / "records" / str(ids[-1]) / "metadata" / "tombstone.json").read_text())
    assert tombstone["withdrawal_reason"] == "Duplicate of another record."
    for name in ("communities", "curation", "audit", "records", "storage", "accounts"):
        assert (dest / f"{name}.json").exists(), name

    result = empty_instance.run("import_bags", dest)
    assert result.returncode == 0, result.stderr
    assert "import: 100%" in result.stderr

    source, target = snapshot(), empty_instance.snapshot()
    assert target["records.record"] and target["files"][str(ids[0])]
    for part in source:
        assert target[part] == source[part], part
    # every file's bytes are in the new instance's own storage
    assert len(list(p for p in empty_instance.storage.rglob("*") if p.is_file())) == sum(
        len(files) for files in source["files"].values()
    )


def test_an_interrupted_export_is_resumed_writing_only_the_missing_bags(
    repository_state, tmp_path, monkeypatch
):
    dest = tmp_path / "export"
    real_write = bags.write_directory
    calls = []

    def interrupted(plan, target):
        calls.append(plan.record.pk)
        if len(calls) == 2:
            real_write(plan, target)  # half-written: the bag's folder exists but was never renamed
            raise KeyboardInterrupt
        real_write(plan, target)

    monkeypatch.setattr(bags, "write_directory", interrupted)
    with pytest.raises(KeyboardInterrupt):
        succession.export_bags(dest)
    first = sorted(r.pk for r in repository_state)[0]
    assert [p.name for p in (dest / "records").iterdir() if not p.name.startswith(".")] == [str(first)]
    assert not (dest / "export.json").exists()
    first_info = dest / "records" / str(first) / "bag-info.txt"
    first_stat = first_info.stat()

    monkeypatch.setattr(bags, "write_directory", real_write)
    report = succession.export_bags(dest)
    assert report.skipped == [first]
    assert report.written == sorted(r.pk for r in repository_state)[1:]
    assert first_info.stat().st_mtime_ns == first_stat.st_mtime_ns
    assert not list((dest / "records").glob(".*"))
    assert (dest / "export.json").exists()

    again = succession.export_bags(dest)
    assert again.written == [] and again.json_written == []


def test_export_since_a_date_writes_only_records_changed_since(repository_state, tmp_path):
    dest = tmp_path / "export"
    call_command("export_bags", str(dest), "--since", "2999-01-01", "--no-progress")
    assert list((dest / "records").iterdir()) == []
    with pytest.raises(CommandError, match="--since"):
        call_command("export_bags", str(dest), "--since", "yesterday", "--no-progress")


def test_import_into_a_database_that_is_not_empty_refuses_before_writing(
    repository_state, tmp_path, settings
):
    dest = tmp_path / "export"
    succession.export_bags(dest)
    records, instances = Record.objects.count(), FileInstance.objects.count()
    with pytest.raises(CommandError, match="not empty"):
        call_command("import_bags", str(dest), "--no-progress")
    assert (Record.objects.count(), FileInstance.objects.count()) == (records, instances)


def test_import_of_a_bag_with_a_flipped_byte_refuses_naming_it_and_writes_nothing(
    repository_state, empty_instance, tmp_path
):
    dest = tmp_path / "export"
    succession.export_bags(dest)
    damaged = dest / "records" / str(repository_state[1].pk)
    flip_one_byte(damaged / "data" / "paper.txt")

    result = empty_instance.run("import_bags", dest, "--no-progress")
    assert result.returncode != 0
    assert f"invalid bag {damaged}" in result.stderr
    assert "paper.txt" in result.stderr
    state = empty_instance.snapshot()
    assert state["records.record"] == [] and state["accounts.user"] == [] and state["files"] == {}
    assert not empty_instance.storage.exists() or not any(
        p.is_file() for p in empty_instance.storage.rglob("*")
    )
