"""The files page, the uploader include and the landing-page files table."""

from __future__ import annotations

from django.template import Context, Template
from django.test import Client, RequestFactory

from records.templatetags.record_files import tree_rows
from storage import services


def render_include(name: str, record, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template('{% include "' + name + '" with record=record %}').render(
        Context({"record": record, "request": request, "user": user})
    )


def test_tree_rows_put_folders_before_their_files():
    rows = tree_rows(
        [{"key": k} for k in ["b.txt", "data/raw/x.csv", "data/a.csv", "a.txt", "data/raw/y.csv"]]
    )
    assert [(r["name"], r["depth"], r["folder"]) for r in rows] == [
        ("data", 0, True),
        ("raw", 1, True),
        ("x.csv", 2, False),
        ("y.csv", 2, False),
        ("a.csv", 1, False),
        ("a.txt", 0, False),
        ("b.txt", 0, False),
    ]


def test_owner_of_a_draft_gets_the_uploader(draft, depositor, client_for):
    services.store_bytes(draft.bucket, "data/a.csv", b"1,2\n", depositor)
    response = client_for(depositor).get(f"/records/{draft.pk}/files/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-storage-uploader" in html
    assert 'type="file"' in html and "multiple" in html
    assert "storage/uploader.js" in html
    assert 'id="storage-uploader-config"' in html
    assert "data/a.csv" in html and "md5:" in html
    assert 'data-action="remove"' in html and 'data-action="replace"' in html


def test_others_get_404_for_a_drafts_files_page(draft, outsider, client_for):
    assert client_for(outsider).get(f"/records/{draft.pk}/files/").status_code == 404
    assert Client().get(f"/records/{draft.pk}/files/").status_code == 404


def test_uploader_include_without_a_saved_draft_says_to_save_first(depositor):
    html = render_include("storage/deposit_files.html", None, depositor)
    assert "Save the draft first" in html
    assert "uploader.js" not in html


def test_landing_table_shows_tree_checksums_and_history_to_owners(
    draft, depositor, outsider, publish, open_edit
):
    services.store_bytes(draft.bucket, "data/raw/a.csv", b"v1", depositor)
    services.store_bytes(draft.bucket, "readme.txt", b"read me", depositor)
    record = open_edit(publish(draft, depositor), depositor)
    services.store_bytes(record.bucket, "data/raw/a.csv", b"v2", depositor)
    record = publish(record, depositor)

    public = render_include("storage/landing_files.html", record, outsider)
    assert "storage-folder-name" in public and "raw/" in public
    assert f"/records/{record.pk}/files/data/raw/a.csv" in public
    assert "sha256:" in public and "Show SHA-256" in public
    assert "Version history" not in public
    assert f"/records/{record.pk}/files.zip" in public

    owner = render_include("storage/landing_files.html", record, depositor)
    assert "Version history (2 versions)" in owner
    assert f"/records/{record.pk}/files/data/raw/a.csv?version=1" in owner


def test_landing_table_of_restricted_files_says_why(depositor, outsider, publish):
    from records.services import create_draft
    from tests.records.conftest import make_metadata

    draft = create_draft(depositor, make_metadata(access_right="restricted", access_conditions="Ask the PI."))
    services.store_bytes(draft.bucket, "secret.csv", b"s", depositor)
    record = publish(draft, depositor)
    html = render_include("storage/landing_files.html", record, outsider)
    assert "restricted" in html and "Ask the PI." in html
    assert "/files/secret.csv" not in html
    assert "1 file" in html


def test_records_landing_and_deposit_pages_include_the_files(
    draft, depositor, client_for, publish, open_edit
):
    services.store_bytes(draft.bucket, "data/a.csv", b"1,2\n", depositor)
    client = client_for(depositor)
    deposit = client.get(f"/records/{draft.pk}/edit/")
    assert deposit.status_code == 200
    assert "data-storage-uploader" in deposit.content.decode()
    record = publish(draft, depositor)
    landing = Client().get(f"/records/{record.pk}/").content.decode()
    assert f"/records/{record.pk}/files/data/a.csv" in landing
    assert "data-storage-uploader" not in landing
    record = open_edit(record, depositor)
    edit = client.get(f"/records/{record.pk}/edit/").content.decode()
    assert "data-storage-uploader" in edit and "data/a.csv" in edit
