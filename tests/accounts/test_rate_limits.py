"""Issue 10, rate limits: login lockout per account and address, mails per address, sign-up, comments,
anonymous search, OAI-PMH and the API; 429 (503 for OAI-PMH) with Retry-After."""

from __future__ import annotations

import time

from django.core import mail
from django.test import Client

from accounts.ratelimit import client_ip


def _login(client, username, password, ip="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_200_wrong_passwords_lock_the_pair_out_and_the_right_one_is_refused(client, depositor, password):
    statuses = [_login(client, "depositor", f"wrong-{i}").status_code for i in range(200)]
    assert statuses[:9] == [200] * 9  # the form's "wrong password" page
    assert set(statuses[10:]) == {429}
    response = _login(client, "depositor", password)
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 15 * 60
    body = response.content.decode()
    assert "Try again in" in body and "minute" in body
    assert "_auth_user_id" not in client.session
    # nobody can lock the account itself: from another address the owner signs in at once
    other = Client()
    assert _login(other, "depositor", password, ip="10.9.9.9").status_code == 302
    assert "_auth_user_id" in other.session


def test_case_of_the_username_does_not_reset_the_count(client, depositor, password, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for name in ("depositor", "DEPOSITOR", "Depositor"):
        _login(client, name, "wrong")
    assert _login(client, "depositor", password).status_code == 429


def test_the_lockout_ends_and_grows_for_the_same_account(client, depositor, password, settings):
    # fixed windows counted by django-ratelimit use a day ("/d") in these tests, so no window ends
    # mid-test; the lockouts here are seconds long so the test can see one end
    settings.AXES_FAILURE_LIMIT = 3
    # 8 s: long enough that the next three logins fit inside the second lockout's first half on a busy
    # machine, short enough to wait for the first one to end
    settings.RATELIMIT_LOGIN_LOCKOUT_SECONDS = 8
    for _ in range(3):
        _login(client, "depositor", "wrong")
    assert 0 < int(_login(client, "depositor", password)["Retry-After"]) <= 8
    deadline = time.monotonic() + 60
    while (response := _login(client, "depositor", password)).status_code == 429:
        assert time.monotonic() < deadline, "the lockout never ended"
    assert response.status_code == 302
    # a second lockout of the same account (from anywhere) lasts twice as long
    elsewhere = Client()
    for _ in range(3):
        _login(elsewhere, "depositor", "wrong", ip="10.0.0.2")
    assert 8 < int(_login(elsewhere, "depositor", password, ip="10.0.0.2")["Retry-After"]) <= 16


def test_20_reset_requests_send_at_most_the_configured_number_of_mails(
    client, depositor, settings, django_capture_on_commit_callbacks
):
    settings.RATELIMIT_MAILS = "3/d"
    with django_capture_on_commit_callbacks(execute=True):
        statuses = {
            client.post("/accounts/password_reset/", {"email": depositor.email.upper()}).status_code
            for _ in range(20)
        }
    assert statuses == {302}  # the same "check your inbox" answer every time
    assert len(mail.outbox) == 3


def test_sign_ups_per_address(client, db, settings):
    settings.RATELIMIT_SIGNUP = "2/d"

    def sign_up(n):
        return Client().post(
            "/accounts/signup/",
            {
                "username": f"user{n}",
                "email": f"user{n}@example.org",
                "password1": "a-long-enough-passphrase",
                "password2": "a-long-enough-passphrase",
            },
        )

    assert [sign_up(n).status_code for n in range(2)] == [302, 302]
    response = sign_up(3)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Too many sign-ups" in response.content.decode()


def test_anonymous_search_is_limited_per_address_and_signed_in_users_are_not(
    client, client_for, depositor, settings
):
    settings.RATELIMIT_SEARCH = "3/d"
    assert [client.get("/search/?q=x").status_code for _ in range(3)] == [200] * 3
    response = client.get("/search/?q=x")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "text/html" in response["Content-Type"]
    assert client.get("/search/?q=x", REMOTE_ADDR="10.1.1.1").status_code == 200
    web = client_for(depositor)
    assert {web.get("/search/?q=x").status_code for _ in range(5)} == {200}


def test_oai_pmh_answers_503_with_retry_after(client, db, settings):
    settings.RATELIMIT_OAI = "2/d"
    assert [client.get("/oai2d?verb=Identify").status_code for _ in range(2)] == [200, 200]
    response = client.get("/oai2d?verb=Identify")
    assert response.status_code == 503 and int(response["Retry-After"]) > 0


def test_the_api_is_limited_per_address_and_per_token(client, depositor, settings):
    from accounts.services import create_token

    settings.RATELIMIT_API_ANON = "2/m"
    settings.RATELIMIT_API_USER = "3/m"
    assert [client.get("/api/v1/records").status_code for _ in range(2)] == [200, 200]
    response = client.get("/api/v1/records")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.json()["message"]
    _token, key = create_token(depositor, "script", ["user:read"])
    _other, other_key = create_token(depositor, "other", ["user:read"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert [client.get("/api/v1/me", **auth).status_code for _ in range(3)] == [200] * 3
    assert client.get("/api/v1/me", **auth).status_code == 429
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {other_key}").status_code == 200


def test_comments_per_account(client_for, curator, community, depositor, settings):
    from curation.models import InclusionRequest
    from curation.services import request_inclusion
    from records.services import create_draft, publish
    from tests.records.conftest import make_metadata

    settings.RATELIMIT_COMMENTS = "2/d"
    record = publish(create_draft(depositor, make_metadata()), depositor, declaration_accepted=True)
    req = request_inclusion(depositor, record, community)
    web = client_for(depositor)
    url = f"/requests/{req.pk}/comment/"
    assert [web.post(url, {"body": f"hello {n}"}).status_code for n in range(2)] == [302, 302]
    response = web.post(url, {"body": "once more"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert InclusionRequest.objects.get(pk=req.pk).comments.count() == 2


def test_forwarded_for_is_believed_only_behind_a_trusted_proxy(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.5"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"  # the client can only prepend (6.6.6.6 is forged)


def test_forged_forwarded_for_does_not_escape_a_login_lockout(client, depositor, password, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for n in range(3):
        client.post(
            "/accounts/login/",
            {"username": "depositor", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    response = client.post(
        "/accounts/login/",
        {"username": "depositor", "password": password},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.99",
    )
    assert response.status_code == 429


def test_the_limiter_can_be_switched_off(client, db, settings):
    settings.RATELIMIT_ENABLE = False
    settings.RATELIMIT_SEARCH = "1/d"
    assert {client.get("/search/?q=x").status_code for _ in range(3)} == {200}
