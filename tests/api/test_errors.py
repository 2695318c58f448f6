"""One JSON error shape everywhere under /api/v1/: {"status", "message", "errors": [{"field", "messages"}]}."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import create_token
from records.models import Record

LIST = "/api/v1/records"


def api_for(user, scopes):
    _token, secret = create_token(user, "test", scopes)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def assert_shape(response, status: int, *, field: str | None = None, words: str = "") -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], list)
    for error in body["errors"]:
        assert isinstance(error["field"], str) and error["field"].startswith("$")
        assert isinstance(error["messages"], list) and all(isinstance(m, str) for m in error["messages"])
    if field is not None:
        assert field in {e["field"] for e in body["errors"]}, body
    assert words.lower() in response.content.decode().lower(), body
    return body


@pytest.fixture
def writer(depositor):
    return api_for(
        depositor, ["deposit:write", "deposit:actions", "deposit:read", "curation:write", "user:read"]
    )


@pytest.mark.django_db
def test_unknown_address_and_method():
    client = Client(raise_request_exception=False)
    assert_shape(client.get("/api/v1/nothing-here"), 404, words="nothing")
    body = assert_shape(client.delete(LIST), 405, words="DELETE")
    assert body["errors"][0]["field"] == "$"


def test_malformed_json_names_the_problem(writer):
    assert_shape(writer.post(LIST, "{bad", content_type="application/json"), 400, words="JSON")
    assert not Record.objects.exists()


def test_deeply_nested_json(writer):
    assert_shape(writer.post(LIST, "[" * 200 + "]" * 200, content_type="application/json"), 400, words="deep")


def test_oversized_body_is_413_json(writer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = '{"metadata": {"title": "' + "x" * 20_000 + '"}}'
    assert_shape(writer.post(LIST, body, content_type="application/json"), 413, words="too large")
    assert not Record.objects.exists()


def test_wrong_types_and_unknown_fields(writer):
    assert_shape(writer.post(LIST, {"metadata": []}, format="json"), 400, field="$.metadata")
    assert_shape(writer.post(LIST, {"metadata": {}, "colour": "red"}, format="json"), 400, field="$.colour")
    assert not Record.objects.exists()


@pytest.mark.django_db
def test_missing_token_and_bad_token():
    client = APIClient()
    assert_shape(client.post(LIST, {"metadata": {}}, format="json"), 401, words="token")
    client.credentials(HTTP_AUTHORIZATION="Bearer nope")
    assert_shape(client.get(LIST), 401, words="invalid")


def test_token_without_scope(depositor):
    reader = api_for(depositor, ["user:read"])
    assert_shape(reader.post(LIST, {"metadata": {}}, format="json"), 403, words="deposit:write")


def test_another_users_draft_is_404(writer, outsider):
    record_id = writer.post(LIST, {"metadata": {"title": "Mine"}}, format="json").json()["id"]
    other = api_for(outsider, ["deposit:write", "deposit:actions"])
    assert_shape(other.get(f"{LIST}/{record_id}"), 404)
    assert_shape(other.put(f"{LIST}/{record_id}", {"metadata": {"title": "Theirs"}}, format="json"), 404)
    assert Record.objects.get(pk=record_id).metadata["title"] == "Mine"


def test_validation_errors_keep_json_paths(writer, valid_metadata):
    valid_metadata["license"] = "Beerware"
    body = assert_shape(
        writer.post(LIST, {"metadata": valid_metadata}, format="json"), 400, field="$.license"
    )
    assert any("Beerware" in m or "licen" in m.lower() for e in body["errors"] for m in e["messages"])


def test_serializer_errors_in_the_shape(writer, curator, community):
    response = writer.post(f"/api/v1/communities/{community.slug}/requests", {"ids": "x"}, format="json")
    assert response.status_code in (400, 403, 404)
    assert_shape(response, response.status_code)


def test_unexpected_exception_is_500_json(writer, monkeypatch):
    from records import api

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "search_page", boom)
    body = assert_shape(writer.get(LIST), 500)
    assert "boom" not in body["message"]


def test_429_has_retry_after(writer, settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_API_USER = "2/m"
    writer.get(LIST)
    writer.get(LIST)
    response = writer.get(LIST)
    assert_shape(response, 429)
    assert int(response["Retry-After"]) > 0


def test_zenodo_api_keeps_its_own_shape(writer):
    response = writer.get("/api/deposit/depositions/999999")
    assert response.status_code == 404
    assert "errors" not in response.json() or response.json().get("status") == 404


def test_unknown_fields_in_curation_bodies(writer, published, community):
    response = writer.post(
        f"/api/v1/records/{published.pk}/requests",
        {"community": community.slug, "mesage": "typo"},
        format="json",
    )
    body = assert_shape(response, 400, field="$.mesage")
    assert "message" in body["errors"][0]["messages"][0]
    from curation.models import InclusionRequest

    assert not InclusionRequest.objects.exists()


def test_session_needs_csrf(depositor, password):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="depositor", password=password)
    assert_shape(client.post(LIST, {"metadata": {"title": "x"}}, format="json"), 403, words="CSRF")
    assert not Record.objects.exists()
    assert client.get(LIST + "?mine=true").status_code == 200  # reading needs no CSRF token


def test_unknown_fields_in_upload_bodies(writer, depositor):
    record_id = writer.post(LIST, {"metadata": {"title": "Files"}}, format="json").json()["id"]
    response = writer.post(
        f"{LIST}/{record_id}/uploads", {"key": "a.txt", "size": 1, "sise": 2}, format="json"
    )
    assert_shape(response, 400, field="$.sise")
    from storage.models import Upload

    assert not Upload.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["/api/v1/records?q=x", "/api/v1/records?mine=true", "/api/v1/requests", "/api/v1/communities"],
)
def test_a_bad_cursor_is_a_400_naming_it_on_every_list(writer, url):
    for cursor in ("not-a-cursor", "bz0tMQ=="):  # "o=-1": no offset is negative
        assert_shape(writer.get(url, {"cursor": cursor}), 400, field="$.cursor", words="cursor")
