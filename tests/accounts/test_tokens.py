import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import PersonalAccessToken
from audit.models import AuditEntry


def issue(username, scopes):
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_token", username, "--scopes", scopes, stdout=out, stderr=err)
    return out.getvalue().strip().splitlines()[-1]


def test_issue_token_prints_the_token_alone_on_its_last_line(depositor):
    key = issue("depositor", "user:read")
    assert key.startswith("rpt_") and " " not in key
    token = PersonalAccessToken.objects.get(user=depositor)
    assert token.key_hash == PersonalAccessToken.hash_key(key)
    assert key not in (token.key_hash, token.hint)  # only the hash is stored
    assert token.scopes == ["user:read"]
    assert AuditEntry.objects.filter(verb="create_token", object_id=str(token.pk)).exists()


def test_issue_token_refuses_unknown_scopes_and_users(depositor):
    with pytest.raises(CommandError, match="unknown scope"):
        issue("depositor", "everything")
    with pytest.raises(CommandError, match="no user named"):
        issue("nobody", "user:read")


def test_token_works_as_bearer_header_and_query_parameter(client, depositor):
    key = issue("depositor", "user:read")
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert response.json()["username"] == "depositor"
    response = client.get(f"/api/v1/me?access_token={key}")
    assert response.status_code == 200
    assert response.json()["username"] == "depositor"
    assert PersonalAccessToken.objects.get(user=depositor).last_used is not None


def test_token_without_the_scope_is_refused(client, depositor):
    key = issue("depositor", "deposit:write")
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 403
    assert "user:read" in response.json()["message"]


def test_wrong_and_missing_tokens_are_refused(client, db):
    assert client.get("/api/v1/me").status_code in (401, 403)
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer rpt_not-a-real-token")
    assert response.status_code == 401
    assert "invalid" in response.json()["message"]


def test_revoked_token_stops_working(client, client_for, depositor):
    key = issue("depositor", "user:read")
    token = PersonalAccessToken.objects.get(user=depositor)
    web = client_for(depositor)
    response = web.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    assert AuditEntry.objects.filter(verb="revoke_token", object_id=str(token.pk)).exists()


def test_tokens_page_shows_a_new_token_once(client_for, depositor):
    web = client_for(depositor)
    response = web.post("/accounts/tokens/", {"name": "laptop", "scopes": ["deposit:write", "user:read"]})
    assert response.status_code == 200
    body = response.content.decode()
    token = PersonalAccessToken.objects.get(user=depositor, name="laptop")
    shown = body.split('id="new-token">')[1].split("<")[0]
    assert PersonalAccessToken.hash_key(shown) == token.key_hash
    again = web.get("/accounts/tokens/").content.decode()
    assert shown not in again and "laptop" in again


def test_nobody_can_revoke_someone_elses_token(client_for, depositor, outsider):
    issue("depositor", "user:read")
    token = PersonalAccessToken.objects.get(user=depositor)
    response = client_for(outsider).post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_tokens_page_requires_login(client, db):
    response = client.get("/accounts/tokens/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
