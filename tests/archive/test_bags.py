"""BagIt bags of published records in the archive location: made when the published state changes,
valid for the Library of Congress tool, sharing unchanged payload objects, under fixity checks."""

from __future__ import annotations

import json
import shutil

import pytest
from django.conf import settings

from archive import services, tasks
from archive.models import Bag, BagEntry
from storage.models import FileInstance
from storage.services import check_fixity
from tests.archive.conftest import bagit_validate, flip_one_byte

FILES = {"table.csv": b"a,b\n1,2\n", "docs/readme.txt": b"read me\n"}


def _sweep(django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return tasks.bag_changed_records()


def _bag_info(path) -> dict[str, str]:
    lines = (path / "bag-info.txt").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines)


def test_a_published_record_is_bagged_and_the_bag_fetched_back_validates(
    make_published, django_capture_on_commit_callbacks, tmp_path
):
    record = make_published(FILES)
    assert _sweep(django_capture_on_commit_callbacks) == 1
    bag = Bag.objects.get(record=record)
    assert bag.payload_oxum == f"{sum(map(len, FILES.values()))}.2"
    target = services.fetch_bag(bag, tmp_path / "bag")

    result = bagit_validate(target)
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stderr
    info = _bag_info(target)
    assert info["External-Identifier"] == record.doi != ""
    assert info["Internal-Sender-Identifier"] == str(record.pk)
    assert info["Source-Organization"] == settings.SITE_NAME
    assert info["Payload-Oxum"] == bag.payload_oxum
    assert "Bagging-Date" in info
    assert (target / "data" / "table.csv").read_bytes() == FILES["table.csv"]
    assert (target / "data" / "docs" / "readme.txt").read_bytes() == FILES["docs/readme.txt"]
    for name in ("metadata/record.json", "metadata/datacite.xml", "metadata/history.json"):
        assert (target / name).stat().st_size > 0, name
    assert b'<identifier identifierType="DOI">' in (target / "metadata/datacite.xml").read_bytes()
    for name in ("manifest-md5.txt", "manifest-sha256.txt", "tagmanifest-md5.txt", "tagmanifest-sha256.txt"):
        assert (target / name).exists(), name

    # a copy with one flipped byte (in the payload, then in a tag file) fails the validation
    damaged = shutil.copytree(target, tmp_path / "damaged")
    flip_one_byte(damaged / "data" / "table.csv")
    result = bagit_validate(damaged)
    assert result.returncode != 0
    assert "table.csv" in result.stderr
    damaged_tag = shutil.copytree(target, tmp_path / "damaged-tag")
    flip_one_byte(damaged_tag / "metadata" / "history.json", offset=3)
    assert bagit_validate(damaged_tag).returncode != 0

    # nothing changed: the next sweep makes no new bag
    assert _sweep(django_capture_on_commit_callbacks) == 0
    assert Bag.objects.filter(record=record).count() == 1


def test_a_published_change_makes_a_new_bag_that_reuses_unchanged_payload_objects(
    make_published, edit_files, depositor, django_capture_on_commit_callbacks, tmp_path
):
    record = make_published(FILES)
    _sweep(django_capture_on_commit_callbacks)
    first = Bag.objects.get(record=record)
    archived_before = FileInstance.objects.filter(path__startswith="bags/payload/").count()

    edit_files(record, depositor, {"table.csv": b"a,b\n1,3\n"})
    assert _sweep(django_capture_on_commit_callbacks) == 1
    second = services.latest_bag(record)
    assert second is not None and second.pk != first.pk
    # only the new version's bytes were archived; the unchanged file is the same object
    assert FileInstance.objects.filter(path__startswith="bags/payload/").count() == archived_before + 1
    readme = {e.bag_id: e.instance_id for e in BagEntry.objects.filter(name="data/docs/readme.txt")}
    assert readme[first.pk] == readme[second.pk]

    target = services.fetch_bag(second, tmp_path / "bag")
    assert bagit_validate(target).returncode == 0
    assert (target / "data" / "table.csv").read_bytes() == b"a,b\n1,3\n"
    assert (target / "data" / "versions" / "1" / "table.csv").read_bytes() == FILES["table.csv"]
    assert _bag_info(target)["Payload-Oxum"] == f"{sum(map(len, FILES.values())) + 8}.3"


def test_bag_objects_are_file_instances_under_the_fixity_checks(
    make_published, django_capture_on_commit_callbacks
):
    record = make_published({"table.csv": FILES["table.csv"]})
    _sweep(django_capture_on_commit_callbacks)
    bag = Bag.objects.get(record=record)
    entries = list(bag.entries.select_related("instance__location"))
    assert {e.instance.location.name for e in entries} == {services.archive_location().name}
    assert all(check_fixity(e.instance).intact for e in entries)

    payload = next(e.instance for e in entries if e.payload)
    flip_one_byte(payload.location.backend().local_path(payload.path))
    outcome = check_fixity(payload)
    assert outcome.failed
    # the sweep's repair restores it from its replica
    assert outcome.intact
    assert payload.location.backend().local_path(payload.path).read_bytes() == FILES["table.csv"]


def test_a_withdrawal_makes_a_last_bag_with_the_tombstone(
    make_published, staff, django_capture_on_commit_callbacks, tmp_path
):
    from records.services import withdraw

    record = make_published({"table.csv": FILES["table.csv"]})
    _sweep(django_capture_on_commit_callbacks)
    withdraw(record, staff, "Withdrawn at the authors' request.")
    assert _sweep(django_capture_on_commit_callbacks) == 1
    target = services.fetch_bag(services.latest_bag(record), tmp_path / "bag")
    assert bagit_validate(target).returncode == 0
    tombstone = json.loads((target / "metadata" / "tombstone.json").read_text())
    assert tombstone["state"] == "withdrawn"
    assert tombstone["withdrawal_reason"] == "Withdrawn at the authors' request."
    assert _sweep(django_capture_on_commit_callbacks) == 0


@pytest.mark.parametrize("location", ["replica"])
def test_the_archive_location_is_a_setting(
    location, make_published, django_capture_on_commit_callbacks, settings
):
    settings.ARCHIVE_LOCATION = location
    record = make_published({"table.csv": FILES["table.csv"]})
    _sweep(django_capture_on_commit_callbacks)
    bag = Bag.objects.get(record=record)
    assert {e.instance.location.name for e in bag.entries.select_related("instance__location")} == {location}


def test_the_beat_schedule_runs_the_bagging_sweep_and_the_nightly_jobs():
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "archive.tasks.bag_changed_records",
        "archive.tasks.backup_metadata",
        "archive.tasks.check_second_copies",
    } <= tasks_scheduled
