"""Issue 10, tokens: least privilege, expiry, last use, revocation on a new password, and a token sent
as ?access_token= is never echoed in links, redirects or logs."""

from __future__ import annotations

import datetime as dt
import re

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import PersonalAccessToken
from accounts.redact import redact_token, strip_token_from_url
from accounts.services import create_token
from tests.records.conftest import make_metadata


def _bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _draft_and_published(depositor):
    from records.services import create_draft, publish

    draft = create_draft(depositor, make_metadata(title="A private draft"))
    published = publish(create_draft(depositor, make_metadata()), depositor, declaration_accepted=True)
    return draft, published


def test_a_user_read_token_reads_neither_drafts_nor_the_contact_email(client, depositor):
    draft, published = _draft_and_published(depositor)
    _token, key = create_token(depositor, "profile only", ["user:read"])
    assert client.get(f"/api/v1/records/{draft.pk}", **_bearer(key)).status_code == 404
    body = client.get(f"/api/v1/records/{published.pk}", **_bearer(key)).json()
    assert "contact_email" not in body["metadata"] and "edit_draft" not in body
    assert client.get("/api/v1/records?mine=true", **_bearer(key)).status_code == 403
    assert client.get(f"/api/v1/records/{draft.pk}/files", **_bearer(key)).status_code == 404
    assert client.get("/api/v1/me", **_bearer(key)).status_code == 200  # what the scope is for


def test_a_deposit_read_token_reads_its_owners_drafts(client, depositor):
    draft, published = _draft_and_published(depositor)
    _token, key = create_token(depositor, "reader", ["deposit:read"])
    assert client.get(f"/api/v1/records/{draft.pk}", **_bearer(key)).json()["metadata"]["title"] == (
        "A private draft"
    )
    body = client.get(f"/api/v1/records/{published.pk}", **_bearer(key)).json()
    assert body["metadata"]["contact_email"] == "secret.contact@example.se"
    mine = client.get("/api/v1/records?mine=true", **_bearer(key)).json()
    assert {r["id"] for r in mine["results"]} == {draft.pk, published.pk}


def test_tokens_expire_after_a_year_by_default_and_expired_ones_get_401(client, depositor):
    token, key = create_token(depositor, "script", ["user:read"])
    assert dt.timedelta(days=364) < token.expires_at - timezone.now() <= dt.timedelta(days=365)
    PersonalAccessToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get("/api/v1/me", **_bearer(key))
    assert response.status_code == 401 and "expired" in response.json()["message"]
    never, never_key = create_token(depositor, "forever", ["user:read"], expires_in_days=None)
    assert never.expires_at is None
    assert client.get("/api/v1/me", **_bearer(never_key)).status_code == 200


def test_the_token_page_chooses_an_expiry_and_shows_last_use(client, client_for, depositor):
    web = client_for(depositor)
    response = web.post("/accounts/tokens/", {"name": "ci", "scopes": ["user:read"], "expires": "30"})
    assert response.status_code == 200
    key = re.search(r'id="new-token">(rpt_[^<]+)<', response.content.decode()).group(1)
    token = PersonalAccessToken.objects.get(name="ci")
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    assert client.get("/api/v1/me", **_bearer(key)).status_code == 200
    token.refresh_from_db()
    assert token.last_used is not None
    page = web.get("/accounts/tokens/").content.decode()
    assert token.last_used.strftime("%Y-%m-%d %H:%M") in page
    assert token.expires_at.strftime("%Y-%m-%d") in page


def test_a_password_reset_revokes_every_token(client, depositor, django_capture_on_commit_callbacks):
    _token, key = create_token(depositor, "script", ["user:read"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password_reset/", {"email": depositor.email})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[-1].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "brand-new-passphrase-1", "new_password2": "brand-new-passphrase-1"}
    )
    assert response.status_code == 302
    assert client.get("/api/v1/me", **_bearer(key)).status_code == 401
    assert not PersonalAccessToken.objects.active().filter(user=depositor).exists()


def test_a_password_change_revokes_every_token(client, client_for, depositor, password):
    _token, key = create_token(depositor, "script", ["user:read"])
    response = client_for(depositor).post(
        reverse("accounts:password_change"),
        {
            "old_password": password,
            "new_password1": "brand-new-passphrase-2",
            "new_password2": "brand-new-passphrase-2",
        },
    )
    assert response.status_code == 302
    assert client.get("/api/v1/me", **_bearer(key)).status_code == 401


def test_access_token_is_not_echoed_in_pagination_links(client, depositor, settings):
    from records.services import create_draft, publish

    settings.API_PAGE_SIZE = 1
    for n in range(3):
        publish(create_draft(depositor, make_metadata(title=f"R {n}")), depositor, declaration_accepted=True)
    _token, key = create_token(depositor, "script", ["deposit:read"])
    body = client.get(f"/api/v1/records?access_token={key}&page=2&size=1").json()
    assert body["next"] and body["previous"]
    assert key not in body["next"] + body["previous"] and "access_token" not in body["next"]
    # the search's cursor links do not carry it either
    body = client.get(body["next"] + f"&access_token={key}").json()
    assert body["results"] and body["previous"] and "access_token" not in body["previous"]
    # your own records page by cursor: the second page has both links, neither with the token
    first = client.get(f"/api/v1/records?access_token={key}&mine=true&size=1").json()
    assert first["next"] and key not in first["next"] and "access_token" not in first["next"]
    body = client.get(first["next"] + f"&access_token={key}").json()
    assert body["next"] and body["previous"]
    assert key not in body["next"] + body["previous"] and "access_token" not in body["previous"]


def test_access_token_is_not_carried_by_a_redirect(client, depositor):
    _token, key = create_token(depositor, "script", ["user:read"])
    response = client.get(f"/accounts/profile/?access_token={key}&x=1")
    assert response.status_code == 302
    assert key not in response["Location"] and "access_token" not in response["Location"]
    assert strip_token_from_url(f"/a?x=1&access_token={key}") == "/a?x=1"


def test_the_access_log_redacts_access_token():
    from types import SimpleNamespace

    from gunicorn.config import Config

    from repository.gunicorn_logging import RedactingLogger

    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/api/v1/records?access_token=rpt_secret&page=2",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/api/v1/records",
        "QUERY_STRING": "access_token=rpt_secret&page=2",
        "REMOTE_ADDR": "127.0.0.1",
    }
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = logger.atoms(resp, SimpleNamespace(headers=[]), environ, dt.timedelta(seconds=0))
    assert "rpt_secret" not in atoms["r"] + atoms["q"]
    assert "access_token=[redacted]&page=2" in atoms["r"]
    assert redact_token("x?ACCESS_TOKEN=abc") == "x?ACCESS_TOKEN=[redacted]"


def test_issue_token_takes_an_expiry(depositor):
    import io

    import pytest
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command(
        "issue_token",
        "depositor",
        "--scopes",
        "user:read",
        "--expires-days",
        "7",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    token = PersonalAccessToken.objects.get(user=depositor)
    assert dt.timedelta(days=6) < token.expires_at - timezone.now() <= dt.timedelta(days=7)
    call_command(
        "issue_token",
        "depositor",
        "--name",
        "n",
        "--expires-days",
        "never",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert PersonalAccessToken.objects.get(name="n").expires_at is None
    with pytest.raises(CommandError, match="number of days"):
        call_command(
            "issue_token", "depositor", "--expires-days", "soon", stdout=io.StringIO(), stderr=io.StringIO()
        )


def test_a_password_set_by_staff_in_the_admin_revokes_every_token(client, client_for, depositor, staff):
    _token, key = create_token(depositor, "script", ["user:read"])
    url = reverse("admin:auth_user_password_change", args=[depositor.pk]).replace(
        "auth/user", "accounts/user"
    )
    response = client_for(staff).post(
        url,
        {
            "password1": "staff-chosen-passphrase",
            "password2": "staff-chosen-passphrase",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    depositor.refresh_from_db()
    assert depositor.check_password("staff-chosen-passphrase")
    assert client.get("/api/v1/me", **_bearer(key)).status_code == 401
