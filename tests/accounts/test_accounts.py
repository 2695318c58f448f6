import re

from django.core import mail

from accounts.models import User
from audit.models import AuditEntry
from identifiers import normalize_orcid


def test_signup_creates_an_account_and_logs_in(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "email": "Newbie@Example.org",
            "full_name": "Nina Newbie",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.email == "newbie@example.org"
    assert client.get("/accounts/profile/").status_code == 200


def test_signup_goes_through_the_verb_and_is_audited(client, db):
    client.post(
        "/accounts/signup/",
        {
            "username": "audited",
            "email": "audited@example.org",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    user = User.objects.get(username="audited")
    entry = AuditEntry.objects.get(verb="sign_up", object_id=str(user.pk))
    assert entry.actor == user and entry.object_type == "accounts.user"
    assert user.check_password("a-long-enough-passphrase")


def test_signup_errors_are_shown_beside_the_fields(client, depositor):
    response = client.post(
        "/accounts/signup/",
        {"username": "x", "email": depositor.email, "password1": "short", "password2": "different"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    # issue 10: sign-up never says whether an address has an account (its holder gets a notice)
    assert "An account with this e-mail address already exists." not in body
    assert 'class="errorlist' in body
    assert not User.objects.filter(username="x").exists()


def test_login_and_logout(client, depositor, password):
    response = client.post("/accounts/login/", {"username": "depositor", "password": password})
    assert response.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/accounts/profile/").status_code == 302


def test_orcid_check_digit():
    assert normalize_orcid("https://orcid.org/0000-0002-1825-0097") == "0000-0002-1825-0097"
    assert normalize_orcid("000000021694233X") == "0000-0002-1694-233X"
    for bad in ("0000-0002-1825-0098", "1234", "0000-0002-1825-009"):
        try:
            normalize_orcid(bad)
        except Exception as exc:
            assert "ORCID" in str(exc)
        else:
            raise AssertionError(f"{bad} accepted")


def test_profile_saves_orcid_affiliations_and_refuses_a_bad_check_digit(client_for, depositor):
    web = client_for(depositor)
    data = {
        "profile-full_name": "Erik D.",
        "profile-email": "erik@example.org",
        "profile-orcid": "0000-0002-1825-0098",
        "profile-language": "sv",
        "profile-affiliations_text": "KTH Royal Institute of Technology\nSpotify",
        "notify-request_new": "on",
    }
    response = web.post("/accounts/profile/", data)
    assert response.status_code == 200
    assert "check digit is wrong" in response.content.decode()
    depositor.refresh_from_db()
    assert depositor.orcid == ""
    data["profile-orcid"] = "0000000218250097"
    response = web.post("/accounts/profile/", data)
    assert response.status_code == 302
    depositor.refresh_from_db()
    assert depositor.orcid == "0000-0002-1825-0097"
    assert depositor.affiliations == [{"name": "KTH Royal Institute of Technology"}, {"name": "Spotify"}]
    assert depositor.language == "sv"
    assert depositor.wants_notification("request_new") and not depositor.wants_notification("request_comment")


def test_password_reset_sends_a_working_link(client, depositor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password_reset/", {"email": depositor.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [depositor.email]
    link = re.search(r"http://[^/]+(/accounts/reset/\S+)", message.body).group(1)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "brand-new-passphrase-1", "new_password2": "brand-new-passphrase-1"}
    )
    assert response.status_code == 302
    depositor.refresh_from_db()
    assert depositor.check_password("brand-new-passphrase-1")


def test_password_reset_for_unknown_address_sends_nothing(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password_reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []
