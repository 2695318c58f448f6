"""/api/v1/me/tokens (a token mints only scopes it has) and /api/v1/communities (members: owners manage)."""

from __future__ import annotations

from rest_framework.test import APIClient

from accounts.models import PersonalAccessToken
from accounts.services import create_token
from communities.models import MemberRole, Membership
from communities.services import set_member
from curation.models import InclusionRequest
from curation.services import accept, request_inclusion
from tests.api.test_errors import assert_shape


def api_for(user, scopes):
    _token, secret = create_token(user, "test", scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_a_token_mints_a_token_with_its_own_scopes_only(depositor):
    client = api_for(depositor, ["user:read", "deposit:write"])
    response = client.post(
        "/api/v1/me/tokens", {"name": "uploader", "scopes": ["deposit:write"]}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["scopes"] == ["deposit:write"] and body["token"].startswith("rpt_")
    assert response["Location"].endswith(f"/api/v1/me/tokens/{body['id']}")
    minted = PersonalAccessToken.objects.get(pk=body["id"])
    assert minted.user == depositor and minted.key_hash == PersonalAccessToken.hash_key(body["token"])
    new = APIClient()
    new.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert (
        new.post("/api/v1/records", {"metadata": {"title": "Via the new token"}}, format="json").status_code
        == 201
    )

    count = PersonalAccessToken.objects.count()
    response = client.post(
        "/api/v1/me/tokens", {"name": "greedy", "scopes": ["deposit:write", "curation:write"]}, format="json"
    )
    assert_shape(response, 403, words="curation:write")
    assert PersonalAccessToken.objects.count() == count
    assert_shape(
        client.post("/api/v1/me/tokens", {"name": "x", "scopes": ["root"]}, format="json"),
        400,
        field="$.scopes[0]",
    )
    assert_shape(
        client.post(
            "/api/v1/me/tokens", {"name": "x", "scopes": ["user:read"], "admin": True}, format="json"
        ),
        400,
        field="$.admin",
    )

    listed = client.get("/api/v1/me/tokens").json()
    assert {t["name"] for t in listed} == {"test", "uploader"} and all("token" not in t for t in listed)
    assert client.delete(f"/api/v1/me/tokens/{body['id']}").status_code == 204
    assert PersonalAccessToken.objects.get(pk=body["id"]).revoked_at is not None
    assert_shape(new.get("/api/v1/me/tokens"), 401)


def test_token_without_user_read_cannot_list_tokens(depositor):
    assert_shape(api_for(depositor, ["deposit:write"]).get("/api/v1/me/tokens"), 403, words="user:read")


def test_communities_list_get_and_records(client, community, published, depositor, curator):
    response = client.get("/api/v1/communities")
    assert response.status_code == 200
    assert [c["slug"] for c in response.json()["results"]] == [community.slug]
    assert {"next", "previous"} <= set(response.json())
    assert client.get(f"/api/v1/communities/{community.slug}").json()["title"] == community.title
    assert_shape(client.get("/api/v1/communities/nope"), 404)
    assert client.get(f"/api/v1/communities/{community.slug}/records").json()["results"] == []
    req = request_inclusion(depositor, published, community)
    accept(curator, req)
    results = client.get(f"/api/v1/communities/{community.slug}/records").json()["results"]
    assert [r["id"] for r in results] == [published.pk]
    assert InclusionRequest.objects.get(pk=req.pk).state == "accepted"


def test_owners_manage_members(community, staff, curator, depositor, outsider):
    owner_client = api_for(staff, ["curation:write", "user:read"])
    set_member(staff, community, staff, MemberRole.OWNER)
    curator_client = api_for(curator, ["curation:write"])
    members = curator_client.get(f"/api/v1/communities/{community.slug}/members")
    assert members.status_code == 200 and {m["username"] for m in members.json()} >= {"curator", "staff"}
    assert_shape(
        api_for(outsider, ["curation:write"]).get(f"/api/v1/communities/{community.slug}/members"), 403
    )

    url = f"/api/v1/communities/{community.slug}/members"
    assert_shape(curator_client.post(url, {"username": "depositor"}, format="json"), 403, words="owners")
    assert not Membership.objects.filter(user=depositor).exists()
    response = owner_client.post(url, {"username": "depositor", "role": "curator"}, format="json")
    assert response.status_code == 201 and response["Location"].endswith(f"{url}/depositor")
    assert Membership.objects.get(community=community, user=depositor).role == "curator"
    assert_shape(owner_client.post(url, {"username": "nobody"}, format="json"), 404, words="nobody")
    assert owner_client.put(f"{url}/depositor", {"role": "owner"}, format="json").json()["role"] == "owner"
    assert owner_client.delete(f"{url}/depositor").status_code == 204
    assert not Membership.objects.filter(user=depositor).exists()
    only_owners = Membership.objects.filter(community=community, role="owner")
    if only_owners.count() == 1:
        assert_shape(owner_client.delete(f"{url}/staff"), 400, words="owner")
