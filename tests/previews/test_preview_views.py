"""``/records/<id>/preview/<key>``: who may see a preview (as for the file itself), what it serves,
and where the landing page shows it. Previews are made by the tasks publishing schedules."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from previews.models import Preview, PreviewState
from records import services
from storage import services as storage_services
from tests.previews import files
from tests.records.conftest import make_metadata

pytestmark = pytest.mark.django_db

CSV = b"station,temp\nAbisko,-3.5\nKiruna,-7.25\n"


def deposit(user, capture, **metadata):
    record = services.create_draft(user, make_metadata(**metadata))
    storage_services.store_bytes(record.bucket, "photo.png", files.png_rotated(), user)
    storage_services.store_bytes(record.bucket, "data/weather.csv", CSV, user)
    storage_services.store_bytes(record.bucket, "blob.bin", b"\x00\x01", user)
    storage_services.store_bytes(record.bucket, "broken.png", files.corrupt_png(), user)
    with capture(execute=True):  # publishing schedules the previews; the tasks run eagerly here
        return services.publish(record, user, declaration_accepted=True)


def preview_url(record, key, kind=None):
    url = reverse("storage:preview", args=[record.pk, key])
    return f"{url}?kind={kind}" if kind else url


def test_publishing_makes_the_previews(depositor, django_capture_on_commit_callbacks):
    record = deposit(depositor, django_capture_on_commit_callbacks)
    states = dict(
        Preview.objects.filter(version__file__bucket=record.bucket).values_list("version__file__key", "state")
    )
    assert states == {
        "photo.png": PreviewState.READY,
        "data/weather.csv": PreviewState.READY,
        "broken.png": PreviewState.FAILED,
    }


def test_open_record_previews_are_public(client, depositor, django_capture_on_commit_callbacks):
    record = deposit(depositor, django_capture_on_commit_callbacks)
    response = client.get(preview_url(record, "photo.png", "thumbnail"))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size[1] == 256
    response = client.get(preview_url(record, "data/weather.csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "sandbox" in response["Content-Security-Policy"]
    body = response.content.decode()
    assert "<td>Kiruna</td>" in body and "double" in body


def test_files_without_a_preview_answer_404_and_the_landing_page_still_works(
    client, depositor, django_capture_on_commit_callbacks
):
    record = deposit(depositor, django_capture_on_commit_callbacks)
    for key in ("blob.bin", "broken.png", "missing.png"):
        assert client.get(preview_url(record, key)).status_code == 404, key
    assert client.get(preview_url(record, "photo.png", "nonsense")).status_code == 404
    landing = client.get(record.get_absolute_url())
    assert landing.status_code == 200
    page = landing.content.decode()
    # thumbnails in the files table, the table preview inline below it, nothing for the broken image
    assert f'src="{preview_url(record, "photo.png", "thumbnail")}"' in page
    assert "<td>Abisko</td>" in page
    assert f'href="{preview_url(record, "broken.png")}"' not in page


def test_restricted_previews_only_for_owners_and_staff(
    client, client_for, depositor, outsider, staff, django_capture_on_commit_callbacks
):
    record = deposit(
        depositor,
        django_capture_on_commit_callbacks,
        access_right="restricted",
        license="",
        access_conditions="Ask the data protection officer.",
    )
    url = preview_url(record, "data/weather.csv")
    for viewer in (client, client_for(outsider)):
        response = viewer.get(url)
        assert response.status_code == 403 and b"Kiruna" not in response.content
        assert b"Kiruna" not in viewer.get(record.get_absolute_url()).content
    for user in (depositor, staff):
        response = client_for(user).get(url)
        assert response.status_code == 200 and b"Kiruna" in response.content


def test_draft_previews_only_for_owners(client, client_for, depositor, outsider, stored):
    record, version = stored("data.csv", CSV)
    from previews.services import make_preview

    assert make_preview(version.pk).state == PreviewState.READY
    url = preview_url(record, "data.csv")
    assert client.get(url).status_code == 404
    assert client_for(outsider).get(url).status_code == 404
    response = client_for(depositor).get(url)
    assert response.status_code == 200 and b"Kiruna" in response.content


def test_the_owners_files_table_shows_thumbnails_of_staged_files(client_for, depositor, stored):
    from previews.services import make_preview

    record, version = stored("photo.png", files.png_rotated())
    make_preview(version.pk)
    client = client_for(depositor)
    page = client.get(reverse("storage:files", args=[record.pk])).content.decode()
    url = f"{preview_url(record, 'photo.png')}?kind=thumbnail&amp;version=draft"
    assert f'src="{url}"' in page
    response = client.get(f"{preview_url(record, 'photo.png')}?kind=thumbnail&version=draft")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
