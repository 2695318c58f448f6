"""The upload API: the resumable protocol, the single streaming request, permissions, tokens and CSRF."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.services import create_token
from storage.models import FileVersion, Upload
from tests.storage.conftest import md5_hex, sha256_hex, stored_files


def create(client, record, key, size):
    return client.post(
        f"/api/v1/records/{record.pk}/uploads", {"key": key, "size": size}, content_type="application/json"
    )


def patch(client, upload_id, offset, data, **headers):
    return client.patch(
        f"/api/v1/uploads/{upload_id}",
        data,
        content_type="application/offset+octet-stream",
        headers={"Upload-Offset": str(offset), **headers},
    )


def test_the_resumable_protocol_end_to_end(draft, depositor, client_for):
    client = client_for(depositor)
    data = bytes(range(256)) * 10_000
    response = create(client, draft, "data/run 1.bin", len(data))
    assert response.status_code == 201
    upload_id = response.json()["id"]
    assert response["Location"] == f"/api/v1/uploads/{upload_id}"
    assert response.json()["offset"] == 0

    head = client.head(f"/api/v1/uploads/{upload_id}")
    assert (head.status_code, head["Upload-Offset"], head["Upload-Length"]) == (200, "0", str(len(data)))

    response = patch(client, upload_id, 0, data[:1_000_000])
    assert (response.status_code, response["Upload-Offset"]) == (204, "1000000")

    # A chunk at the wrong offset: 409 with the expected one, nothing written.
    response = patch(client, upload_id, 500, data[500:2000])
    assert response.status_code == 409
    assert response.json()["offset"] == 1_000_000 and response["Upload-Offset"] == "1000000"
    assert "1000000" in response.json()["message"]

    # More bytes than declared: refused before reading.
    response = patch(client, upload_id, 1_000_000, data[1_000_000:] + b"extra")
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_bytes"
    assert client.head(f"/api/v1/uploads/{upload_id}")["Upload-Offset"] == "1000000"

    # Nothing is visible before finish.
    assert not FileVersion.objects.exists()
    assert client.get(f"/records/{draft.pk}/files/data/run%201.bin").status_code == 404
    response = client.post(f"/api/v1/uploads/{upload_id}/finish")
    assert response.status_code == 409 and response.json()["code"] == "incomplete"

    response = patch(client, upload_id, 1_000_000, data[1_000_000:])
    assert response.status_code == 204
    response = client.post(
        f"/api/v1/uploads/{upload_id}/finish", {"sha256": sha256_hex(data)}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["md5"] == "md5:" + md5_hex(data) and body["sha256"] == "sha256:" + sha256_hex(data)
    assert body["key"] == "data/run 1.bin" and body["staged"] is True
    assert not Upload.objects.exists()
    assert client.head(f"/api/v1/uploads/{upload_id}").status_code == 404
    download = client.get(body["download"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == data


def test_single_streaming_put_stores_the_body(draft, depositor, client_for):
    client = client_for(depositor)
    data = b"\x00\x01binary\xff" * 50_000
    response = client.put(
        f"/api/v1/records/{draft.pk}/files/raw/data.bin", data, content_type="application/octet-stream"
    )
    assert response.status_code == 201, response.content
    assert response.json()["sha256"] == "sha256:" + sha256_hex(data)
    listing = client.get(f"/api/v1/records/{draft.pk}/files").json()
    assert listing["editable"] is True
    assert [(f["key"], f["status"], f["size"]) for f in listing["files"]] == [
        ("raw/data.bin", "new", len(data))
    ]
    assert listing["usage"]["bytes"] == len(data)


def test_declared_quota_refusal_over_the_api_names_limit_and_use(
    draft, depositor, client_for, settings, primary_root
):
    settings.RECORD_QUOTA_BYTES = 2000
    client = client_for(depositor)
    client.put(
        f"/api/v1/records/{draft.pk}/files/a.bin", b"a" * 1500, content_type="application/octet-stream"
    )
    before = stored_files(primary_root)
    response = create(client, draft, "b.bin", 1000)
    assert response.status_code == 413
    body = response.json()
    assert (body["limit"], body["used"]) == (2000, 1500)
    assert "quota" in body["message"]
    response = client.put(
        f"/api/v1/records/{draft.pk}/files/c.bin", b"c" * 1000, content_type="application/octet-stream"
    )
    assert response.status_code == 413
    assert stored_files(primary_root) == before


def test_removing_and_restoring_over_the_api(draft, depositor, client_for, publish, open_edit):
    client = client_for(depositor)
    client.put(f"/api/v1/records/{draft.pk}/files/a.txt", b"a", content_type="application/octet-stream")
    record = open_edit(publish(draft, depositor), depositor)
    assert client.delete(f"/api/v1/records/{record.pk}/files/a.txt").status_code == 204
    files = client.get(f"/api/v1/records/{record.pk}/files").json()["files"]
    assert [(f["key"], f["status"]) for f in files] == [("a.txt", "removed")]
    response = client.post(
        f"/api/v1/records/{record.pk}/restore-file", {"key": "a.txt"}, content_type="application/json"
    )
    assert response.status_code == 204
    files = client.get(f"/api/v1/records/{record.pk}/files").json()["files"]
    assert [(f["key"], f["status"]) for f in files] == [("a.txt", "unchanged")]
    assert client.delete(f"/api/v1/records/{record.pk}/files/missing.txt").status_code == 404


def test_published_record_without_edit_draft_refuses_uploads(draft, depositor, client_for, publish):
    record = publish(draft, depositor)
    response = create(client_for(depositor), record, "late.txt", 3)
    assert response.status_code == 409
    assert "edit" in response.json()["message"]


def test_others_cannot_see_or_change_a_drafts_files(draft, depositor, outsider, staff, client_for):
    assert create(client_for(outsider), draft, "x.txt", 1).status_code == 404
    assert client_for(outsider).get(f"/api/v1/records/{draft.pk}/files").status_code == 404
    # Staff may look, but only owners upload.
    assert create(client_for(staff), draft, "x.txt", 1).status_code == 403
    assert Client().post(
        f"/api/v1/records/{draft.pk}/uploads", {}, content_type="application/json"
    ).status_code in (
        401,
        403,
    )
    upload_id = create(client_for(depositor), draft, "mine.txt", 3).json()["id"]
    assert client_for(outsider).head(f"/api/v1/uploads/{upload_id}").status_code == 404
    assert patch(client_for(outsider), upload_id, 0, b"abc").status_code == 404
    assert Upload.objects.get(pk=upload_id).offset == 0


def test_co_owners_can_upload(draft, depositor, outsider, client_for):
    draft.co_owners.add(outsider)
    response = create(client_for(outsider), draft, "co.txt", 1)
    assert response.status_code == 201


def test_session_calls_need_the_csrf_token(draft, depositor, password):
    client = Client(enforce_csrf_checks=True)
    client.login(username=depositor.username, password=password)
    response = create(client, draft, "x.txt", 1)
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]
    client.get("/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/api/v1/records/{draft.pk}/uploads",
        {"key": "x.txt", "size": 1},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201


@pytest.mark.parametrize(("scopes", "status"), [(["deposit:write"], 201), (["user:read"], 403)])
def test_tokens_need_the_deposit_write_scope(draft, depositor, scopes, status):
    _token, secret = create_token(depositor, "uploader", scopes)
    client = Client(enforce_csrf_checks=True)
    auth = {"Authorization": f"Bearer {secret}"}
    response = client.put(
        f"/api/v1/records/{draft.pk}/files/api.bin",
        b"by token",
        content_type="application/octet-stream",
        headers=auth,
    )
    assert response.status_code == status, response.content
    if status == 403:
        assert "deposit:write" in response.json()["message"]
        assert not FileVersion.objects.exists()


def test_put_without_content_length_is_refused_and_an_empty_body_is_an_empty_file(
    draft, depositor, client_for
):
    client = client_for(depositor)
    url = f"/api/v1/records/{draft.pk}/files/x.bin"
    # The test client leaves Content-Length out of an empty body, like a chunked request.
    response = client.generic("PUT", url, b"", content_type="application/octet-stream")
    assert response.status_code == 411
    assert "Content-Length" in response.json()["message"]
    response = client.generic("PUT", url, b"", content_type="application/octet-stream", CONTENT_LENGTH="0")
    assert response.status_code == 201
    assert response.json()["size"] == 0


def test_cancel_removes_the_upload_and_its_bytes(
    draft, depositor, client_for, primary_root, django_capture_on_commit_callbacks
):
    client = client_for(depositor)
    upload_id = create(client, draft, "c.bin", 10).json()["id"]
    patch(client, upload_id, 0, b"12345")
    path = primary_root / Upload.objects.get(pk=upload_id).path
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/uploads/{upload_id}").status_code == 204
    assert not Upload.objects.exists()
    assert not path.exists()


def test_nul_and_other_bad_keys_in_urls_are_4xx_not_500(draft, depositor, client_for):
    client = client_for(depositor)
    client.put(f"/api/v1/records/{draft.pk}/files/a.txt", b"a", content_type="application/octet-stream")
    # issue #10: NUL in a path is refused with a 400 before any view (it was a 404 here)
    assert client.get(f"/records/{draft.pk}/files/a%00b.txt").status_code == 400
    response = client.delete(f"/api/v1/records/{draft.pk}/files/a%00b.txt")
    assert response.status_code == 400 and "control characters" in response.json()["message"]
    response = client.post(
        f"/api/v1/records/{draft.pk}/restore-file", {"key": 5}, content_type="application/json"
    )
    assert response.status_code == 400
    response = client.post(f"/api/v1/records/{draft.pk}/uploads", "not json", content_type="application/json")
    assert response.status_code == 400
    response = client.post(
        f"/api/v1/records/{draft.pk}/uploads", {"key": "x", "size": "12"}, content_type="application/json"
    )
    assert response.status_code == 400 and "size" in response.json()["message"]
    upload_id = client.post(
        f"/api/v1/records/{draft.pk}/uploads", {"key": "x", "size": 2}, content_type="application/json"
    ).json()["id"]
    response = client.patch(
        f"/api/v1/uploads/{upload_id}",
        b"ab",
        content_type="application/offset+octet-stream",
        headers={"Upload-Offset": "minus one"},
    )
    assert response.status_code == 400 and "Upload-Offset" in response.json()["message"]
    response = client.post(
        f"/api/v1/uploads/{upload_id}/finish", {"md5": "xyz"}, content_type="application/json"
    )
    assert response.status_code == 400 and "not valid" in response.json()["message"]
    assert client.head(f"/api/v1/uploads/{upload_id}").status_code == 200  # a bad request keeps the upload
    assert client.get("/api/v1/uploads/not-a-uuid").status_code == 404
