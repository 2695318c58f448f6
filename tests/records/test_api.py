"""The native REST API for records: scopes, errors with JSON paths, drafts private, publish flow."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import create_token
from records import services
from records.models import Record, RecordState

LIST = "/api/v1/records"


def api_for(user, scopes):
    _token, secret = create_token(user, "test", scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def writer(depositor):
    return api_for(depositor, ["deposit:write", "deposit:actions"])


def test_create_update_publish_through_the_api(writer, valid_metadata):
    response = writer.post(LIST, {"metadata": {"title": "Work in progress"}}, format="json")
    assert response.status_code == 201, response.content
    record_id = response.json()["id"]
    assert response.json()["state"] == "draft"
    response = writer.put(f"{LIST}/{record_id}", {"metadata": valid_metadata}, format="json")
    assert response.status_code == 200 and response.json()["metadata"]["title"] == valid_metadata["title"]
    response = writer.post(f"{LIST}/{record_id}/actions/publish", {}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "$.accept_declaration"
    response = writer.post(f"{LIST}/{record_id}/actions/publish", {"accept_declaration": True}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "published" and body["doi"].endswith(f".{record_id}")
    assert Record.objects.get(pk=record_id).state == RecordState.PUBLISHED


def test_invalid_metadata_errors_have_json_paths(writer, valid_metadata):
    valid_metadata["creators"][1]["orcid"] = "0000-0002-1825-0098"
    valid_metadata["license"] = "Beerware"
    valid_metadata["publication_date"] = "2026-02-30"
    response = writer.post(LIST, {"metadata": valid_metadata}, format="json")
    assert response.status_code == 400
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert set(errors) == {"$.creators[1].orcid", "$.license", "$.publication_date"}
    assert errors["$.creators[1].orcid"]["pointer"] == "/creators/1/orcid"
    assert "check digit" in errors["$.creators[1].orcid"]["message"]
    assert response.json()["message"]
    assert not Record.objects.exists()


def test_publish_of_incomplete_draft_lists_missing_fields(writer):
    record_id = writer.post(LIST, {"metadata": {"title": "Only a title"}}, format="json").json()["id"]
    response = writer.post(f"{LIST}/{record_id}/actions/publish", {"accept_declaration": True}, format="json")
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"$.creators", "$.publication_date", "$.resource_type", "$.access_right"} <= fields


@pytest.mark.parametrize(
    "body", [[], {"metadata": []}, {"metadata": {}, "communities": "x"}, {"metadata": {}, "doi": 5}]
)
def test_malformed_bodies_are_400(writer, body):
    response = writer.post(LIST, body, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"].startswith("$")


def test_scopes_are_enforced(depositor, valid_metadata):
    read_only = api_for(depositor, ["user:read"])
    assert read_only.post(LIST, {"metadata": {}}, format="json").status_code == 403
    write_only = api_for(depositor, ["deposit:write"])
    record_id = write_only.post(LIST, {"metadata": valid_metadata}, format="json").json()["id"]
    response = write_only.post(
        f"{LIST}/{record_id}/actions/publish", {"accept_declaration": True}, format="json"
    )
    assert response.status_code == 403 and "deposit:actions" in response.json()["message"]
    assert APIClient().post(LIST, {"metadata": {}}, format="json").status_code in (401, 403)


def test_someone_elses_draft_is_404(depositor, outsider, valid_metadata):
    draft = services.create_draft(depositor, valid_metadata)
    other = api_for(outsider, ["deposit:write", "deposit:actions"])
    assert other.get(f"{LIST}/{draft.pk}").status_code == 404
    assert other.put(f"{LIST}/{draft.pk}", {"metadata": {}}, format="json").status_code == 404
    assert (
        other.post(
            f"{LIST}/{draft.pk}/actions/publish", {"accept_declaration": True}, format="json"
        ).status_code
        == 404
    )
    assert APIClient().get(f"{LIST}/{draft.pk}").status_code == 404
    draft.refresh_from_db()
    assert draft.state == RecordState.DRAFT


def test_edit_draft_flow_and_conflicts(writer, published, valid_metadata):
    url = f"{LIST}/{published.pk}"
    response = writer.put(url, {"metadata": valid_metadata}, format="json")
    assert response.status_code == 409
    assert writer.post(f"{url}/actions/edit", format="json").status_code == 200
    changed = {**valid_metadata, "title": "Edited through the API"}
    response = writer.put(url, {"metadata": changed}, format="json")
    assert response.status_code == 200
    assert response.json()["edit_draft"]["metadata"]["title"] == "Edited through the API"
    assert (
        APIClient().get(url).json()["metadata"]["title"] == valid_metadata["title"]
    )  # public view unchanged
    assert (
        writer.post(f"{url}/actions/publish", {"accept_declaration": True}, format="json").status_code == 200
    )
    assert APIClient().get(url).json()["metadata"]["title"] == "Edited through the API"
    revisions = writer.get(f"{url}/revisions").json()
    assert [r["number"] for r in revisions["results"]] == [2, 1]
    assert writer.post(f"{url}/actions/discard", format="json").status_code == 409
    assert writer.post(f"{url}/actions/frobnicate", format="json").status_code == 404


def test_public_read_hides_private_fields(published):
    body = APIClient().get(f"{LIST}/{published.pk}").json()
    assert "contact_email" not in body["metadata"]
    assert "edit_draft" not in body and body["revision"] == 1


def test_public_list_is_search_and_mine_lists_own_drafts(
    writer, depositor, published, valid_metadata, django_assert_max_num_queries
):
    services.create_draft(depositor, {"title": "Unfinished draft"})
    with django_assert_max_num_queries(6):
        body = APIClient().get(LIST, {"q": "parliamentary"}).json()
    assert body["count"] == 1 and body["results"][0]["id"] == published.pk
    mine = writer.get(LIST, {"mine": "true"}).json()
    assert len(mine["results"]) == 2 and {r["state"] for r in mine["results"]} == {"draft", "published"}
    assert APIClient().get(LIST, {"mine": "true"}).status_code == 401


def test_withdrawn_record_shows_reason(published, staff):
    services.withdraw(published, staff, "Retracted by the authors")
    body = APIClient().get(f"{LIST}/{published.pk}").json()
    assert body["state"] == "withdrawn" and body["withdrawal_reason"] == "Retracted by the authors"


@pytest.mark.parametrize("level", ["bachelor", "master", "doctoral"])
def test_thesis_level_is_an_optional_field(writer, valid_metadata, level):
    valid_metadata["resource_type"] = {"type": "publication", "subtype": "thesis"}
    response = writer.post(LIST, {"metadata": {**valid_metadata, "thesis_level": level}}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["metadata"]["thesis_level"] == level
    assert Record.objects.get(pk=response.json()["id"]).metadata["thesis_level"] == level


def test_unknown_thesis_level_is_a_400_naming_the_field(writer, valid_metadata):
    response = writer.post(
        LIST, {"metadata": {**valid_metadata, "thesis_level": "licentiate"}}, format="json"
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["$.thesis_level"]
