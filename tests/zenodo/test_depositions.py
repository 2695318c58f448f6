"""The legacy deposit API: depositions, files, bucket uploads and actions, in Zenodo's shapes."""

from __future__ import annotations

import hashlib
import json

from records.models import Record, RecordState
from storage.models import FileVersion, VersionState
from tests.zenodo.conftest import api_for

DEPOSITIONS = "/api/deposit/depositions"


def _bucket_path(deposition: dict) -> str:
    return deposition["links"]["bucket"].removeprefix("http://testserver")


def test_create_empty_then_put_metadata_then_upload_and_publish(zenodo_api, depositor, legacy_metadata):
    response = zenodo_api.post(DEPOSITIONS, {}, format="json")
    assert response.status_code == 201, response.content
    deposition = response.json()
    assert deposition["state"] == "unsubmitted" and deposition["submitted"] is False
    assert deposition["metadata"]["prereserve_doi"]["recid"] == deposition["id"]
    record = Record.objects.get(pk=deposition["id"])
    assert record.owner == depositor and record.metadata == {}

    response = zenodo_api.put(f"{DEPOSITIONS}/{record.pk}", {"metadata": legacy_metadata}, format="json")
    assert response.status_code == 200, response.content
    record.refresh_from_db()
    assert record.metadata["resource_type"] == {"type": "dataset"}
    assert record.metadata["license"] == "CC-BY-4.0"
    assert record.metadata["languages"] == ["eng"]
    assert record.metadata["creators"][0]["affiliations"] == [{"name": "Stockholm University"}]
    assert record.metadata["related_identifiers"][0] == {
        "identifier": "10.1234/abc.5678",
        "scheme": "doi",
        "relation": "IsSupplementTo",
    }
    metadata = response.json()["metadata"]
    assert metadata["license"] == "cc-by-4.0" and metadata["upload_type"] == "dataset"
    assert metadata["creators"][0]["affiliation"] == "Stockholm University"
    assert metadata["related_identifiers"][0]["relation"] == "isSupplementTo"

    payload = b"a,b\n1,2\n"
    response = zenodo_api.put(
        f"{_bucket_path(deposition)}/data/table.csv", payload, content_type="application/octet-stream"
    )
    assert response.status_code == 201, response.content
    obj = response.json()
    assert obj["key"] == "data/table.csv" and obj["size"] == len(payload)
    assert obj["checksum"] == "md5:" + hashlib.md5(payload).hexdigest()
    assert {"version_id", "created", "updated", "is_head", "delete_marker", "links", "mimetype"} <= set(obj)
    read_back = zenodo_api.get(f"{_bucket_path(deposition)}/data/table.csv")
    assert read_back.status_code == 200 and b"".join(read_back.streaming_content) == payload

    files = zenodo_api.get(f"{DEPOSITIONS}/{record.pk}/files").json()
    assert [(f["filename"], f["filesize"], f["checksum"]) for f in files] == [
        ("data/table.csv", len(payload), hashlib.md5(payload).hexdigest())
    ]

    response = zenodo_api.post(f"{DEPOSITIONS}/{record.pk}/actions/publish")
    assert response.status_code == 202, response.content
    body = response.json()
    record.refresh_from_db()
    assert record.state == RecordState.PUBLISHED
    assert body["submitted"] is True and body["state"] == "done"
    assert body["doi"] == record.doi and body["doi_url"] == f"https://doi.org/{record.doi}"
    assert body["links"]["latest"].endswith(f"/api/records/{record.pk}/versions/latest")
    assert FileVersion.objects.filter(file__bucket=record.bucket, state=VersionState.PUBLISHED).count() == 1


def test_json_body_is_read_whatever_the_content_type(zenodo_api, legacy_metadata):
    response = zenodo_api.post(
        DEPOSITIONS,
        json.dumps({"metadata": legacy_metadata}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 201, response.content
    assert Record.objects.get(pk=response.json()["id"]).metadata["title"] == legacy_metadata["title"]


def test_a_deeply_nested_body_is_400_and_stores_nothing(zenodo_api):
    before = Record.objects.count()
    response = zenodo_api.post(DEPOSITIONS, "[" * 5000 + "]" * 5000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["status"] == 400 and "nested too deeply" in response.json()["message"]
    assert Record.objects.count() == before


def test_multipart_upload_takes_the_base_name(zenodo_api, depositor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    record_id = zenodo_api.post(DEPOSITIONS, {}, format="json").json()["id"]
    upload = SimpleUploadedFile("ignored.bin", b"hello", content_type="application/octet-stream")
    response = zenodo_api.post(
        f"{DEPOSITIONS}/{record_id}/files",
        {"file": upload, "filename": "/home/me/data/notes.txt"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["filename"] == "notes.txt"
    assert response.json()["checksum"] == hashlib.md5(b"hello").hexdigest()
    upload = SimpleUploadedFile("sub/dir/raw.dat", b"raw", content_type="application/octet-stream")
    response = zenodo_api.post(f"{DEPOSITIONS}/{record_id}/files", {"file": upload}, format="multipart")
    assert response.status_code == 201 and response.json()["filename"] == "raw.dat"
    file_id = response.json()["id"]
    assert zenodo_api.delete(f"{DEPOSITIONS}/{record_id}/files/{file_id}").status_code == 204
    names = [f["filename"] for f in zenodo_api.get(f"{DEPOSITIONS}/{record_id}/files").json()]
    assert names == ["notes.txt"]


def test_bad_licence_and_missing_title_are_400_with_the_field(zenodo_api, legacy_metadata):
    legacy_metadata["license"] = "not-a-licence"
    response = zenodo_api.post(DEPOSITIONS, {"metadata": legacy_metadata}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["message"]
    assert [e["field"] for e in body["errors"]] == ["metadata.license"]
    assert "not-a-licence" in body["errors"][0]["message"]
    assert not Record.objects.exists()

    legacy_metadata["license"] = "CC0-1.0"
    del legacy_metadata["title"]
    record_id = zenodo_api.post(DEPOSITIONS, {"metadata": legacy_metadata}, format="json").json()["id"]
    assert Record.objects.get(pk=record_id).metadata["license"] == "CC0-1.0"
    response = zenodo_api.post(f"{DEPOSITIONS}/{record_id}/actions/publish")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and "metadata.title" in [e["field"] for e in body["errors"]]
    assert Record.objects.get(pk=record_id).state == RecordState.DRAFT


def test_newversion_reopens_the_same_record_and_files_become_new_versions(zenodo_api, legacy_metadata):
    deposition = zenodo_api.post(DEPOSITIONS, {"metadata": legacy_metadata}, format="json").json()
    bucket = _bucket_path(deposition)
    assert zenodo_api.put(f"{bucket}/a.txt", b"one", content_type="text/plain").status_code == 201
    published = zenodo_api.post(f"{DEPOSITIONS}/{deposition['id']}/actions/publish").json()

    assert zenodo_api.put(f"{bucket}/a.txt", b"two", content_type="text/plain").status_code == 400
    response = zenodo_api.post(f"{DEPOSITIONS}/{deposition['id']}/actions/newversion")
    assert response.status_code == 201, response.content
    draft = response.json()
    assert draft["links"]["latest_draft"].endswith(f"/api/deposit/depositions/{deposition['id']}")
    assert draft["state"] == "inprogress" and draft["doi"] == published["doi"]
    draft["metadata"]["version"] = "2.0"
    assert (
        zenodo_api.put(
            f"{DEPOSITIONS}/{draft['id']}", {"metadata": draft["metadata"]}, format="json"
        ).status_code
        == 200
    )
    assert zenodo_api.put(f"{bucket}/a.txt", b"two", content_type="text/plain").status_code == 201
    assert zenodo_api.post(f"{DEPOSITIONS}/{draft['id']}/actions/publish").status_code == 202
    record = Record.objects.get(pk=deposition["id"])
    assert (
        record.metadata["version"] == "2.0" and record.doi == published["doi"] and not record.doi_is_external
    )
    numbers = sorted(
        FileVersion.objects.filter(file__bucket=record.bucket, file__key="a.txt").values_list(
            "number", flat=True
        )
    )
    assert numbers == [1, 2]


def test_edit_then_discard_keeps_the_published_metadata(zenodo_api, legacy_metadata):
    record_id = zenodo_api.post(DEPOSITIONS, {"metadata": legacy_metadata}, format="json").json()["id"]
    zenodo_api.post(f"{DEPOSITIONS}/{record_id}/actions/publish")
    assert zenodo_api.post(f"{DEPOSITIONS}/{record_id}/actions/edit").status_code == 201
    changed = dict(legacy_metadata, title="A changed title")
    assert (
        zenodo_api.put(f"{DEPOSITIONS}/{record_id}", {"metadata": changed}, format="json").status_code == 200
    )
    response = zenodo_api.post(f"{DEPOSITIONS}/{record_id}/actions/discard")
    assert response.status_code == 201 and response.json()["state"] == "done"
    assert Record.objects.get(pk=record_id).metadata["title"] == legacy_metadata["title"]


def test_delete_draft_204_and_published_refused(zenodo_api, legacy_metadata):
    draft_id = zenodo_api.post(DEPOSITIONS, {}, format="json").json()["id"]
    assert zenodo_api.delete(f"{DEPOSITIONS}/{draft_id}").status_code == 204
    assert not Record.objects.filter(pk=draft_id).exists()
    record_id = zenodo_api.post(DEPOSITIONS, {"metadata": legacy_metadata}, format="json").json()["id"]
    zenodo_api.post(f"{DEPOSITIONS}/{record_id}/actions/publish")
    response = zenodo_api.delete(f"{DEPOSITIONS}/{record_id}")
    assert response.status_code == 403 and response.json()["status"] == 403
    assert Record.objects.filter(pk=record_id).exists()


def test_list_filters_by_status_and_others_see_nothing(zenodo_api, outsider, legacy_metadata):
    zenodo_api.post(DEPOSITIONS, {}, format="json")
    published_id = zenodo_api.post(DEPOSITIONS, {"metadata": legacy_metadata}, format="json").json()["id"]
    zenodo_api.post(f"{DEPOSITIONS}/{published_id}/actions/publish")
    assert len(zenodo_api.get(DEPOSITIONS).json()) == 2
    assert [d["id"] for d in zenodo_api.get(DEPOSITIONS, {"status": "published"}).json()] == [published_id]
    assert [d["state"] for d in zenodo_api.get(DEPOSITIONS, {"status": "draft"}).json()] == ["unsubmitted"]
    other = api_for(outsider)
    assert other.get(DEPOSITIONS).json() == []
    response = other.get(f"{DEPOSITIONS}/{published_id}")
    assert response.status_code == 404 and response.json()["status"] == 404


def test_errors_are_zenodo_shaped(zenodo_api, depositor):
    from rest_framework.test import APIClient

    anonymous = APIClient().post(DEPOSITIONS, {}, format="json")
    assert anonymous.status_code == 401 and anonymous.json()["status"] == 401 and anonymous.json()["message"]
    read_only = api_for(depositor, scopes=["deposit:write"])
    record_id = read_only.post(DEPOSITIONS, {}, format="json").json()["id"]
    refused = read_only.post(f"{DEPOSITIONS}/{record_id}/actions/publish")
    assert refused.status_code == 403 and "deposit:actions" in refused.json()["message"]
    bad = zenodo_api.post(DEPOSITIONS, "{not json", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"]
    query_token = APIClient().get(DEPOSITIONS, {"access_token": _token(depositor)})
    assert query_token.status_code == 200


def _token(user) -> str:
    from tests.zenodo.conftest import token_for

    return token_for(user)


def test_communities_in_metadata_open_inclusion_requests_at_publish(zenodo_api, legacy_metadata, community):
    from curation.models import InclusionRequest

    legacy_metadata["communities"] = [{"identifier": community.slug}]
    deposition = zenodo_api.post(DEPOSITIONS, {"metadata": legacy_metadata}, format="json").json()
    assert deposition["metadata"]["communities"] == [{"identifier": community.slug}]
    assert Record.objects.get(pk=deposition["id"]).requested_communities == [community.slug]
    assert not InclusionRequest.objects.exists()
    assert zenodo_api.post(f"{DEPOSITIONS}/{deposition['id']}/actions/publish").status_code == 202
    request = InclusionRequest.objects.get()
    assert request.record_id == deposition["id"] and request.community == community

    legacy_metadata["communities"] = [{"identifier": "no-such-community"}]
    response = zenodo_api.post(DEPOSITIONS, {"metadata": legacy_metadata}, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["metadata.communities"]


def test_trailing_slash_reaches_the_same_view_and_unknown_paths_are_json_404(zenodo_api):
    response = zenodo_api.post(f"{DEPOSITIONS}/", {}, format="json")
    assert response.status_code == 201 and Record.objects.filter(pk=response.json()["id"]).exists()
    assert zenodo_api.get(f"{DEPOSITIONS}/{response.json()['id']}/").status_code == 200
    missing = zenodo_api.get(f"{DEPOSITIONS}/not-a-number")
    assert missing.status_code == 404 and missing.json()["status"] == 404
    assert zenodo_api.get("/api/records/12/unknown").json()["status"] == 404


def test_values_of_the_wrong_type_are_400_naming_the_field(zenodo_api, legacy_metadata):
    cases = {
        "creators": ("Smith, John", "metadata.creators"),
        "language": ("English", "metadata.language"),
        "upload_type": ("spreadsheet", "metadata.upload_type"),
        "publication_date": ("2024-02-30", "metadata.publication_date"),
    }
    for key, (value, field) in cases.items():
        response = zenodo_api.post(DEPOSITIONS, {"metadata": {**legacy_metadata, key: value}}, format="json")
        assert response.status_code == 400, key
        assert any(e["field"].startswith(field) for e in response.json()["errors"]), response.json()
    assert not Record.objects.exists()


def test_deposition_list_queries_do_not_grow_with_the_depositions(zenodo_api, legacy_metadata):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n: int) -> None:
        for _ in range(n):
            deposition = zenodo_api.post(DEPOSITIONS, {"metadata": legacy_metadata}, format="json").json()
            zenodo_api.put(f"{_bucket_path(deposition)}/a.txt", b"a", content_type="text/plain")
            zenodo_api.post(f"{DEPOSITIONS}/{deposition['id']}/actions/publish")
        zenodo_api.post(DEPOSITIONS, {}, format="json")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            body = zenodo_api.get(DEPOSITIONS).json()
        assert all(len(d["files"]) == 1 for d in body if d["submitted"])
        return len(queries)

    add(1)
    few = count()
    add(3)
    assert count() == few


def test_journal_and_conference_fields_are_kept_both_ways(zenodo_api, legacy_metadata):
    citation = {
        "journal_title": "Journal of Swedish AI",
        "journal_volume": "12",
        "journal_issue": "3",
        "journal_pages": "101-117",
        "conference_title": "Nordic AI Days",
        "conference_place": "Umeå",
        "conference_dates": "2024-05-17 - 2024-05-19",
    }
    response = zenodo_api.post(DEPOSITIONS, {"metadata": {**legacy_metadata, **citation}}, format="json")
    assert response.status_code == 201, response.content
    stored = Record.objects.get(pk=response.json()["id"]).metadata
    assert {key: stored[key] for key in citation} == citation
    assert {key: response.json()["metadata"][key] for key in citation} == citation
