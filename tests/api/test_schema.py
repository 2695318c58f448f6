"""The OpenAPI schema at /api/schema lists every /api/v1/ URL pattern and documents the error shape."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from storage.services import create_upload

CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def api_patterns(resolver=None, prefix: str = ""):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from api_patterns(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/v1/"):
            # drf-spectacular names a "pk" path parameter "id" (SCHEMA_COERCE_PATH_PK)
            yield "/" + CONVERTER.sub(r"{\1}", route).replace("{pk}", "{id}")


@pytest.fixture
def schema(client, db):
    response = client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_every_api_v1_url_is_in_the_schema(schema):
    patterns = set(api_patterns())
    assert len(patterns) >= 25
    missing = sorted(patterns - set(schema["paths"]))
    assert not missing, missing


def test_every_operation_documents_the_error_shape(schema):
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"status", "message", "errors"}
    for path, item in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            if method in ("parameters",):
                continue
            for status in ("400", "401", "403", "404", "429", "500"):
                assert status in operation["responses"], (method, path, status)
    assert "304" in schema["paths"]["/api/v1/records/{id}"]["get"]["responses"]
    assert "412" in schema["paths"]["/api/v1/records/{id}"]["put"]["responses"]


def test_docs_are_served_locally(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()


def test_head_on_an_upload_is_documented_and_answers_as_documented(schema, client, depositor, draft):
    head = schema["paths"]["/api/v1/uploads/{upload_id}"]["head"]
    assert head["operationId"] == "v1_uploads_head"
    assert set(head["responses"]["200"]["headers"]) == {"Upload-Offset", "Upload-Length"}
    assert all("content" not in answer for answer in head["responses"].values())  # no body
    assert [p["name"] for p in head["parameters"]] == ["upload_id"]
    heads = [(path, m) for path, item in schema["paths"].items() for m in item if m == "head"]
    assert heads == [("/api/v1/uploads/{upload_id}", "head")]
    upload = create_upload(draft.files_bucket(), "big.bin", 10, depositor)
    client.force_login(depositor)
    response = client.head(f"/api/v1/uploads/{upload.pk}")
    assert response.status_code == 200 and response.content == b""
    assert (response["Upload-Offset"], response["Upload-Length"]) == ("0", "10")
