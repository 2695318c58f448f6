"""The curation REST API: list a community's requests, read one, accept, decline, comment, invite, bulk."""

import pytest
from rest_framework.test import APIClient

from accounts.services import create_token
from curation import services
from curation.models import InclusionRequest
from tests.curation.conftest import OSLO_CREATOR


def api(user=None, scopes=("curation:write",)):
    client = APIClient()
    if user is not None:
        _, key = create_token(user, "test", list(scopes))
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def reqs(make_record, depositor, community):
    good = services.request_inclusion(depositor, make_record(depositor), community)
    bad = services.request_inclusion(
        depositor, make_record(depositor, title="Work from Oslo", creators=[OSLO_CREATOR]), community
    )
    return good, bad


def test_list_community_requests(curator, community, reqs, django_assert_max_num_queries):
    good, bad = reqs
    client = api(curator)
    with django_assert_max_num_queries(12):
        response = client.get(f"/api/v1/communities/{community.slug}/requests")
    assert response.status_code == 200
    data = response.json()
    assert [r["id"] for r in data["results"]] == [good.pk, bad.pk]
    first = data["results"][0]
    assert first["state"] == "submitted" and first["record"]["title"] == good.record.title
    assert {c["key"]: c["status"] for c in first["checks"]} == {
        "affiliation": "pass",
        "language": "pass",
        "access": "pass",
        "size": "pass",
    }
    assert "KTH Royal Institute of Technology" in first["checks"][0]["reason"]
    response = client.get(f"/api/v1/communities/{community.slug}/requests?checks=fail")
    assert [r["id"] for r in response.json()["results"]] == [bad.pk]
    response = client.get(f"/api/v1/communities/{community.slug}/requests?state=bogus")
    body = response.json()
    assert response.status_code == 400 and body["errors"][0]["field"] == "$.state"
    assert "Unknown state" in body["errors"][0]["messages"][0] and "Unknown state" in body["message"]


def test_list_forbidden_for_other_curators_and_anonymous(other_curator, community, reqs):
    response = api(other_curator).get(f"/api/v1/communities/{community.slug}/requests")
    assert response.status_code == 403 and "owners and curators" in response.json()["message"]
    assert api().get(f"/api/v1/communities/{community.slug}/requests").status_code == 401


def test_accept_decline_and_already_decided(curator, depositor, community, reqs):
    good, bad = reqs
    client = api(curator)
    response = client.post(f"/api/v1/requests/{good.pk}/accept")
    assert response.status_code == 200 and response.json()["state"] == "accepted"
    assert services.accepted_communities(good.record) == [community]
    response = client.post(f"/api/v1/requests/{good.pk}/accept")
    assert response.status_code == 409
    assert response.json()["message"] == "This request has already been decided: it was accepted."
    response = client.post(f"/api/v1/requests/{bad.pk}/decline", {"reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["message"]
    response = client.post(
        f"/api/v1/requests/{bad.pk}/decline", {"reason": "No Stockholm author"}, format="json"
    )
    assert response.status_code == 200 and response.json()["reason"] == "No Stockholm author"


def test_write_needs_the_curation_scope(curator, reqs):
    good, _ = reqs
    client = api(curator, scopes=("user:read",))
    assert client.get(f"/api/v1/requests/{good.pk}").status_code == 200
    response = client.post(f"/api/v1/requests/{good.pk}/accept")
    assert response.status_code == 403 and "curation:write" in response.json()["message"]
    good.refresh_from_db()
    assert good.state == "submitted"


def test_other_curator_cannot_act(other_curator, reqs):
    good, _ = reqs
    assert api(other_curator).post(f"/api/v1/requests/{good.pk}/accept").status_code == 404
    assert api(other_curator).get(f"/api/v1/requests/{good.pk}").status_code == 404


def test_comments(curator, depositor, reqs):
    good, _ = reqs
    response = api(curator).post(
        f"/api/v1/requests/{good.pk}/comments", {"body": "<script>x</script>Which <i>lab</i>?"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["body"] == "Which <i>lab</i>?"
    api(depositor).post(f"/api/v1/requests/{good.pk}/comments", {"body": "KTH"}, format="json")
    data = api(depositor).get(f"/api/v1/requests/{good.pk}").json()
    assert [c["body"] for c in data["comments"]] == ["Which <i>lab</i>?", "KTH"]
    assert [c["author"] for c in data["comments"]] == ["curator", "depositor"]
    response = api(depositor).post(f"/api/v1/requests/{good.pk}/comments", {"body": ""}, format="json")
    assert response.status_code == 400


def test_owner_requests_inclusion_and_sees_own_requests(depositor, outsider, make_record, community):
    record = make_record(depositor)
    response = api(depositor).post(
        f"/api/v1/records/{record.pk}/requests",
        {"community": community.slug, "message": "please"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["state"] == "submitted"
    response = api(depositor).post(
        f"/api/v1/records/{record.pk}/requests", {"community": community.slug}, format="json"
    )
    assert response.status_code == 400 and "already waits" in response.json()["message"]
    response = api(outsider).post(
        f"/api/v1/records/{record.pk}/requests", {"community": community.slug}, format="json"
    )
    assert response.status_code == 404
    response = api(depositor).post(
        f"/api/v1/records/{record.pk}/requests", {"community": "nope"}, format="json"
    )
    assert response.status_code == 404
    mine = api(depositor).get("/api/v1/requests").json()
    assert [r["record"]["id"] for r in mine["results"]] == [record.pk]
    assert api(outsider).get("/api/v1/requests").json()["results"] == []


def test_cancel_by_owner(depositor, reqs):
    good, _ = reqs
    response = api(depositor).post(f"/api/v1/requests/{good.pk}/cancel", {"reason": "mistake"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"


def test_invite_and_bulk(curator, depositor, make_record, community, reqs):
    record = make_record(depositor, title="Invited work on speech")
    response = api(curator).post(
        f"/api/v1/communities/{community.slug}/invitations", {"record": record.pk}, format="json"
    )
    assert response.status_code == 201 and response.json()["kind"] == "invitation"
    assert (
        api(curator)
        .post(f"/api/v1/communities/{community.slug}/invitations", {"record": 999999}, format="json")
        .status_code
        == 404
    )
    good, bad = reqs
    response = api(curator).post(
        f"/api/v1/communities/{community.slug}/requests",
        {"ids": [good.pk, bad.pk], "action": "decline", "reason": "Off topic"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {"done": [good.pk, bad.pk], "skipped": []}
    assert set(InclusionRequest.objects.filter(pk__in=[good.pk, bad.pk]).values_list("state", flat=True)) == {
        "declined"
    }
    response = api(curator).post(
        f"/api/v1/communities/{community.slug}/requests",
        {"ids": [good.pk], "action": "accept"},
        format="json",
    )
    assert response.json()["skipped"][0]["message"].startswith("This request has already been decided")


def test_openapi_schema_lists_the_curation_endpoints(client, db):
    response = client.get("/api/schema")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/api/v1/communities/{slug}/requests" in body and "/api/v1/requests/{id}/accept" in body
