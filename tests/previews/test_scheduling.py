"""When previews are made: on commit of an upload through the API, at publish, by the beat sweep; and
the previews of a replaced staged upload are removed with their stored objects."""

from __future__ import annotations

import pytest

from previews import services, tasks
from previews.models import Preview, PreviewObject, PreviewState
from records.services import create_draft
from storage import services as storage_services
from storage.models import FileInstance
from tests.previews import files
from tests.records.conftest import make_metadata

pytestmark = pytest.mark.django_db


def test_an_upload_through_the_api_is_previewed_on_commit(
    depositor, client_for, django_capture_on_commit_callbacks
):
    record = create_draft(depositor, make_metadata())
    client = client_for(depositor)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.put(
            f"/api/v1/records/{record.pk}/files/table.csv", b"a,b\n1,2\n", content_type="text/csv"
        )
    assert response.status_code == 201, response.content
    assert callbacks  # queued on commit, not before
    preview = Preview.objects.get(version__file__key="table.csv")
    assert preview.state == PreviewState.READY
    assert preview.data["columns"] == [{"name": "a", "type": "int64"}, {"name": "b", "type": "int64"}]
    # the owner sees it while the record is a draft
    assert client.get(f"/records/{record.pk}/preview/table.csv").status_code == 200


def test_the_beat_sweep_previews_what_was_stored_without_scheduling(stored):
    _record, version = stored("photo.png", files.png_rotated())
    assert tasks.sweep_previews.apply().get() == 1
    assert Preview.objects.get(version=version).state == PreviewState.READY
    assert tasks.sweep_previews.apply().get() == 0


def test_a_replaced_staged_upload_loses_its_previews_and_their_objects(depositor, stored):
    record, first = stored("photo.png", files.png_rotated())
    preview = services.make_preview(first.pk)
    derived = list(PreviewObject.objects.filter(preview=preview).values_list("instance_id", flat=True))
    assert len(derived) == 2
    replacement = storage_services.store_bytes(
        record.bucket, "photo.png", files.png_rotated()[:-1] + b"\x00", depositor
    )
    assert replacement.pk != first.pk
    preview.refresh_from_db()
    assert preview.version_id is None  # the version went; the preview waits for the sweep
    services.sweep_previews()
    assert not Preview.objects.filter(pk=preview.pk).exists()
    assert not FileInstance.objects.filter(pk__in=derived).exists()


def test_a_run_whose_worker_died_is_taken_over_a_bounded_number_of_times(stored, settings):
    settings.PREVIEW_MAX_ATTEMPTS = 2
    _record, version = stored("scores.csv", b"a\n1\n")
    long_ago = "2000-01-01T00:00:00Z"
    Preview.objects.create(
        version=version, renderer="csv", source_sha256=version.instance.sha256, created=long_ago
    )
    assert services.sweep_previews() == [version.pk]
    assert services.make_preview(version.pk).state == PreviewState.READY
    preview = Preview.objects.get(version=version)
    assert preview.attempts == 2
    # given up after PREVIEW_MAX_ATTEMPTS, saying why
    Preview.objects.filter(pk=preview.pk).update(state=PreviewState.RUNNING, created=long_ago)
    assert services.sweep_previews() == []
    preview.refresh_from_db()
    assert preview.state == PreviewState.FAILED
    assert preview.reason == "the worker stopped during each of 2 runs"
    assert services.make_preview(version.pk).state == PreviewState.FAILED
