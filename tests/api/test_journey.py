"""A full journey over /api/v1/ only, with the database rows and stored bytes checked after each step."""

from __future__ import annotations

import hashlib

from rest_framework.test import APIClient

from accounts.services import create_token
from curation.models import Comment, InclusionRequest
from records.models import CommunityRecord, Record, RecordState
from storage.models import FileVersion, Upload
from tests.api.test_errors import assert_shape

LIST = "/api/v1/records"


def api_for(user, scopes):
    _token, secret = create_token(user, "journey", scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def stored(record: Record, key: str) -> bytes:
    version = FileVersion.objects.filter(file__bucket=record.bucket_id, file__key=key).order_by("-id").first()
    instance = version.instance
    with instance.location.backend().open_read(instance.path, 0, instance.size) as source:
        return source.read()


def test_create_upload_publish_curate_edit_publish_again(depositor, curator, community, valid_metadata):
    me = api_for(depositor, ["deposit:write", "deposit:actions", "deposit:read", "curation:write"])
    cur = api_for(curator, ["curation:write"])

    # create: 201, Location, ETag
    response = me.post(LIST, {"metadata": valid_metadata}, format="json")
    assert response.status_code == 201, response.content
    record_id = response.json()["id"]
    assert response["Location"].endswith(f"{LIST}/{record_id}") and response["ETag"]
    record = Record.objects.get(pk=record_id)
    assert record.state == RecordState.DRAFT and record.owner == depositor

    # conditional requests
    tag = me.get(f"{LIST}/{record_id}")["ETag"]
    assert me.get(f"{LIST}/{record_id}", HTTP_IF_NONE_MATCH=tag).status_code == 304
    changed = {**valid_metadata, "title": "Changed title"}
    stale = me.put(f"{LIST}/{record_id}", {"metadata": changed}, format="json", HTTP_IF_MATCH='"stale"')
    assert_shape(stale, 412)
    assert Record.objects.get(pk=record_id).metadata["title"] == valid_metadata["title"]
    response = me.put(f"{LIST}/{record_id}", {"metadata": changed}, format="json", HTTP_IF_MATCH=tag)
    assert response.status_code == 200 and response["ETag"] != tag
    assert Record.objects.get(pk=record_id).metadata["title"] == "Changed title"

    # upload by the resumable protocol (two chunks), checksums verified by the server
    data = bytes(range(256)) * 400
    upload = me.post(
        f"{LIST}/{record_id}/uploads", {"key": "data/table.bin", "size": len(data)}, format="json"
    )
    assert upload.status_code == 201 and upload["Location"]
    url = f"/api/v1/uploads/{upload.json()['id']}"
    half = len(data) // 2
    for start, chunk in ((0, data[:half]), (half, data[half:])):
        response = me.generic(
            "PATCH", url, chunk, content_type="application/offset+octet-stream", HTTP_UPLOAD_OFFSET=str(start)
        )
        assert response.status_code == 204, response.content
    assert int(me.head(url)["Upload-Offset"]) == len(data)
    wrong = me.post(f"{url}/finish", {"sha256": "0" * 64}, format="json")
    assert wrong.status_code == 400 and not Upload.objects.exists()  # a mismatch removes the upload
    assert not FileVersion.objects.filter(file__bucket=record.bucket_id).exists()
    upload = me.post(
        f"{LIST}/{record_id}/uploads", {"key": "data/table.bin", "size": len(data)}, format="json"
    )
    url = f"/api/v1/uploads/{upload.json()['id']}"
    me.generic("PATCH", url, data, content_type="application/offset+octet-stream", HTTP_UPLOAD_OFFSET="0")
    sha = hashlib.sha256(data).hexdigest()
    finished = me.post(f"{url}/finish", {"sha256": sha, "md5": hashlib.md5(data).hexdigest()}, format="json")
    assert finished.status_code == 201 and finished.json()["sha256"] == f"sha256:{sha}"
    assert stored(record, "data/table.bin") == data

    # and by one streaming PUT
    readme = b"# About\n"
    response = me.generic(
        "PUT", f"{LIST}/{record_id}/files/README.md", readme, content_type="application/octet-stream"
    )
    assert response.status_code == 201, response.content
    assert stored(record, "README.md") == readme
    keys = {f["key"] for f in me.get(f"{LIST}/{record_id}/files").json()["files"]}
    assert keys == {"data/table.bin", "README.md"}

    # publish
    response = me.post(f"{LIST}/{record_id}/actions/publish", {"accept_declaration": True}, format="json")
    assert response.status_code == 200, response.content
    record.refresh_from_db()
    assert record.state == RecordState.PUBLISHED and record.doi and record.revisions.count() == 1

    # request inclusion; the curator comments and accepts with a token
    response = me.post(f"{LIST}/{record_id}/requests", {"community": community.slug}, format="json")
    assert response.status_code == 201, response.content
    request_id = response.json()["id"]
    assert InclusionRequest.objects.get(pk=request_id).state == "submitted"
    queue = cur.get("/api/v1/requests?role=curator").json()["results"]
    assert [r["id"] for r in queue] == [request_id]
    response = cur.post(f"/api/v1/requests/{request_id}/comments", {"body": "Looks good."}, format="json")
    assert response.status_code == 201
    assert Comment.objects.get(request_id=request_id).body == "Looks good."
    response = cur.post(f"/api/v1/requests/{request_id}/accept", {}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "accepted"
    assert CommunityRecord.objects.current().filter(record=record, community=community).exists()
    assert me.get(f"/api/v1/communities/{community.slug}/records").json()["results"][0]["id"] == record_id

    # edit and publish again: a new revision, the same id and DOI, a new file version
    doi = record.doi
    assert me.post(f"{LIST}/{record_id}/actions/edit", {}, format="json").status_code == 200
    edited = {**changed, "title": "Second edition"}
    assert me.put(f"{LIST}/{record_id}", {"metadata": edited}, format="json").status_code == 200
    assert Record.objects.get(pk=record_id).metadata["title"] == "Changed title"  # staged only
    response = me.generic(
        "PUT",
        f"{LIST}/{record_id}/files/README.md",
        b"# About, v2\n",
        content_type="application/octet-stream",
    )
    assert response.status_code == 201
    response = me.post(f"{LIST}/{record_id}/actions/publish", {"accept_declaration": True}, format="json")
    assert response.status_code == 200, response.content
    record.refresh_from_db()
    assert (
        record.metadata["title"] == "Second edition" and record.doi == doi and record.revisions.count() == 2
    )
    assert [r["number"] for r in me.get(f"{LIST}/{record_id}/revisions").json()["results"]] == [2, 1]
    assert stored(record, "README.md") == b"# About, v2\n"
    assert stored(record, "data/table.bin") == data
    assert FileVersion.objects.filter(file__bucket=record.bucket_id, file__key="README.md").count() == 2


def test_download_over_the_api_with_a_token(depositor, outsider, valid_metadata):
    me = api_for(depositor, ["deposit:read"])
    writer = api_for(depositor, ["deposit:write"])
    record_id = writer.post(LIST, {"metadata": valid_metadata}, format="json").json()["id"]
    writer.generic(
        "PUT", f"{LIST}/{record_id}/files/a.txt", b"hello", content_type="application/octet-stream"
    )
    response = me.get(f"{LIST}/{record_id}/files/a.txt?version=draft")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"hello"
    assert_shape(api_for(outsider, ["deposit:read"]).get(f"{LIST}/{record_id}/files/a.txt"), 404)
    assert_shape(me.get(f"{LIST}/{record_id}/files/missing.txt?version=draft"), 404)
