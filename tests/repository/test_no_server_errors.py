"""The requests that once answered 500 (issue #10, "Nine distinct 500s"): each now answers a clear 4xx."""

from __future__ import annotations

import json

import pytest

from records import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(depositor):
    from tests.records.conftest import make_metadata

    return services.publish(services.create_draft(depositor, make_metadata()), depositor)


def test_search_with_many_hyphens(client):
    q = "-" * 40 + "a " + " -".join("x" * 3 for _ in range(40))
    for url in ("/search/", "/api/v1/records"):
        for query in ("-" * 40, "a" + "-" * 40 + "b", q, "-a " * 60, "!" * 50, "a & | ! ( ) :* <->" * 20):
            response = client.get(url, {"q": query})
            assert response.status_code == 200, (url, query, response.status_code)


def test_doi_nul(client):
    assert client.get("/doi/%00").status_code == 400


def test_options_api_docs(client):
    assert client.options("/api/docs").status_code < 500


def test_invitation_nul(client_for, depositor):
    assert client_for(depositor).get("/records/invitations/%00/").status_code == 400


def test_invite_nul_community(client_for, curator, record):
    response = client_for(curator).post(f"/records/{record.pk}/communities/invite/", {"community": "\x00"})
    assert response.status_code == 400


def test_owners_remove_not_a_number(client_for, depositor, record):
    response = client_for(depositor).post(f"/records/{record.pk}/owners/", {"remove": "abc"})
    assert response.status_code in (400, 404)


def test_deep_json_body(client_for, depositor):
    body = "[" * 1000 + "]" * 1000
    response = client_for(depositor).post("/api/v1/records", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]


def test_deep_metadata(client_for, depositor):
    from tests.records.conftest import make_metadata

    deep: object = "x"
    for _ in range(490):
        deep = [deep]
    meta = make_metadata()
    meta["keywords"] = [deep]
    response = client_for(depositor).post(
        "/api/v1/records", json.dumps({"metadata": meta}), content_type="application/json"
    )
    assert response.status_code == 400, response.content[:300]
