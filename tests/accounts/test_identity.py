"""Issue 10, identity: verified addresses, invitations bound to the mailed link, no enumeration."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import IntegrityError
from django.urls import reverse

from accounts import services as accounts
from accounts.models import User
from communities.models import Membership
from records import services
from records.models import CoOwnerInvitation, InvitationState

VICTIM = "new.colleague@example.se"


@pytest.fixture
def published(depositor):
    from records.services import create_draft, publish
    from tests.records.conftest import make_metadata

    return publish(create_draft(depositor, make_metadata()), depositor, declaration_accepted=True)


PASSPHRASE = "a-long-enough-passphrase"


def _link(message, path_prefix: str) -> str:
    match = re.search(r"(https?://\S+)(" + re.escape(path_prefix) + r"\S+)", message.body)
    assert match, message.body
    return match.group(1) + match.group(2)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _sign_up(client, username, email):
    return client.post(
        "/accounts/signup/",
        {"username": username, "email": email, "password1": PASSPHRASE, "password2": PASSPHRASE},
    )


# --- the takeovers from the report ---------------------------------------------------------------


def test_an_account_showing_the_invited_address_cannot_take_the_co_owner_invitation(
    client_for, client, depositor, outsider, published, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite_co_owner(published, depositor, VICTIM)
    assert invitation.user is None and mail.outbox[-1].to == [VICTIM]
    link = _link(mail.outbox[-1], "/records/invitations/")
    assert link.startswith(settings.SITE_URL)

    # the attacker puts the invited address into their profile (the form keeps it pending) ...
    attacker = client_for(outsider)
    response = attacker.post(
        "/accounts/profile/",
        {"profile-full_name": "O", "profile-email": VICTIM.upper(), "profile-language": "en"},
    )
    assert response.status_code == 302
    outsider.refresh_from_db()
    assert outsider.email == "outsider@example.org" and outsider.pending_email == VICTIM
    # ... or even shows it as their (unverified) address, as the old profile form allowed
    User.objects.filter(pk=outsider.pk).update(email=VICTIM, email_verified=False)
    outsider.refresh_from_db()
    assert published.pk not in [
        i.record_id for i in attacker.get(reverse("records:uploads")).context["invitations"]
    ]
    with pytest.raises(services.RecordError):
        services.accept_invitation(invitation, outsider)
    with pytest.raises(services.RecordError):
        services.accept_invitation(invitation, outsider, token="not-the-token")
    published.refresh_from_db()
    assert not published.is_owner(outsider)

    # the real addressee follows the mailed link from a new account and becomes co-owner
    User.objects.filter(pk=outsider.pk).update(email="outsider@example.org")
    assert _sign_up(client, "colleague", "colleague.private@example.se").status_code == 302
    colleague = User.objects.get(username="colleague")
    assert client.get(_path(link)).status_code == 200
    response = client.post(_path(link), {"answer": "accept"})
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.is_owner(colleague) and not published.is_owner(outsider)
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.ACCEPTED and invitation.user == colleague


def test_invitation_by_a_verified_address_goes_to_its_account(depositor, outsider, published):
    invitation = services.invite_co_owner(published, depositor, "OUTSIDER@example.org")
    assert invitation.user == outsider  # the cast's addresses are verified


def test_an_unverified_address_finds_no_curator(client_for, staff, community, outsider):
    User.objects.filter(pk=outsider.pk).update(email="karin.future@kth.se", email_verified=False)
    web = client_for(staff)
    url = reverse("communities:members", args=[community.slug])
    response = web.post(url, {"user": "karin.future@kth.se", "role": "curator"})
    assert "There is no user" in response.content.decode()
    assert not Membership.objects.filter(community=community, user=outsider).exists()
    User.objects.filter(pk=outsider.pk).update(email_verified=True)
    web.post(url, {"user": "Karin.Future@kth.se", "role": "curator"})
    assert Membership.objects.filter(community=community, user=outsider).exists()


# --- verification -----------------------------------------------------------------------------


def test_sign_up_mails_a_verification_link_built_from_site_url(
    client, db, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://repo.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        response = _sign_up(client, "newbie", "Newbie@Example.org")
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.email == "newbie@example.org" and not user.email_verified
    assert accounts.find_user("newbie@example.org") is None  # unverified: found by nobody
    assert mail.outbox[-1].to == ["newbie@example.org"]
    link = _link(mail.outbox[-1], "/accounts/verify/")
    assert link.startswith("https://repo.example.org/accounts/verify/")
    assert client.get(_path(link)).status_code == 200
    user.refresh_from_db()
    assert not user.email_verified  # a GET (a mail scanner's prefetch) confirms nothing
    assert client.post(_path(link)).status_code == 302
    user.refresh_from_db()
    assert user.email_verified and accounts.find_user("NEWBIE@example.org") == user


def test_sign_up_does_not_reveal_an_existing_address(client, depositor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        fresh = _sign_up(client, "fresh", "fresh@example.org")
    fresh_profile = client.get("/accounts/profile/").content.decode()
    client.post("/accounts/logout/")
    with django_capture_on_commit_callbacks(execute=True):
        taken = _sign_up(client, "copycat", depositor.email.upper())
    assert fresh.status_code == taken.status_code == 302
    assert fresh["Location"] == taken["Location"]
    copycat = User.objects.get(username="copycat")
    assert copycat.email == "" and copycat.pending_email == depositor.email
    depositor.refresh_from_db()
    assert depositor.email == "depositor@example.org" and depositor.email_verified
    notice = mail.outbox[-1]
    assert notice.to == [depositor.email]
    assert "/accounts/verify/" not in notice.body and "/accounts/password_reset/" in notice.body
    # the same words on the next page in both cases
    page = client.get(taken["Location"]).content.decode()
    assert "We have sent a message to depositor@example.org" in page
    assert "depositor@example.org is waiting for confirmation" in page
    assert "fresh@example.org is waiting for confirmation" in fresh_profile
    for body in (page, fresh_profile):
        assert "Until then" not in body and "not confirmed yet" not in body


def test_changing_the_address_keeps_the_old_one_until_the_new_one_is_confirmed(
    client_for, depositor, django_capture_on_commit_callbacks
):
    web = client_for(depositor)
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(
            "/accounts/profile/",
            {"profile-full_name": "E", "profile-email": "erik@example.se", "profile-language": "en"},
        )
    assert response.status_code == 302
    depositor.refresh_from_db()
    assert depositor.email == "depositor@example.org" and depositor.email_verified
    assert depositor.pending_email == "erik@example.se"
    assert mail.outbox[-1].to == ["erik@example.se"]
    assert "erik@example.se is waiting for confirmation" in web.get("/accounts/profile/").content.decode()
    link = _path(_link(mail.outbox[-1], "/accounts/verify/"))
    assert web.post(link).status_code == 302
    depositor.refresh_from_db()
    assert depositor.email == "erik@example.se" and depositor.email_verified and depositor.pending_email == ""
    # the link is used up: the address it names is no longer asked for by a second link
    User.objects.filter(pk=depositor.pk).update(email="depositor@example.org")
    assert web.post(link).status_code == 400


def test_a_verified_address_is_refused_on_another_profile(client_for, depositor, outsider):
    response = client_for(outsider).post(
        "/accounts/profile/",
        {"profile-full_name": "O", "profile-email": "Depositor@Example.org", "profile-language": "en"},
    )
    assert response.status_code == 200
    assert "Another account uses this e-mail address." in response.content.decode()


def test_whoever_proves_an_address_takes_it_from_an_account_that_never_did(
    client, db, django_capture_on_commit_callbacks
):
    squatter = User.objects.create_user("squatter", email=VICTIM, password="x")
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(client, "realperson", VICTIM)
    real = User.objects.get(username="realperson")
    assert real.pending_email == VICTIM and mail.outbox[-1].to == [VICTIM]
    assert client.post(_path(_link(mail.outbox[-1], "/accounts/verify/"))).status_code == 302
    real.refresh_from_db()
    squatter.refresh_from_db()
    assert real.email == VICTIM and real.email_verified
    assert squatter.email == "" and squatter.pending_email == VICTIM


def test_a_bad_or_forged_verification_link_is_a_clear_400(client, depositor):
    assert client.get("/accounts/verify/not-a-token/").status_code == 400
    forged = accounts.make_email_token(depositor, "someone.else@example.org")
    response = client.post(f"/accounts/verify/{forged}/")
    assert response.status_code == 400
    assert "no longer asks for" in response.content.decode()


def test_addresses_are_unique_whatever_their_case(depositor):
    with pytest.raises(IntegrityError):
        User.objects.create_user("twin", email="DEPOSITOR@example.org", password="x")


def test_usernames_may_not_contain_an_at_sign(client, db):
    response = _sign_up(client, "someone@example.org", "someone@example.org")
    assert response.status_code == 200
    assert "may not contain “@”" in response.content.decode()
    assert not User.objects.filter(username="someone@example.org").exists()


# --- links in e-mail ---------------------------------------------------------------------------


def test_a_reset_link_ignores_a_forged_host(client, depositor, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://repo.example.org"
    settings.ALLOWED_HOSTS = ["*"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/password_reset/", {"email": depositor.email}, HTTP_HOST="evil.example.net"
        )
    assert response.status_code == 302
    body = mail.outbox[-1].body
    assert "evil.example.net" not in body
    assert re.search(r"https://repo\.example\.org/accounts/reset/\S+/\S+/", body)


def test_invitation_rows_are_not_changed_by_profile_edits(depositor, outsider, published):
    """The invitation row never learns the account: only accepting binds it."""
    invitation = services.invite_co_owner(published, depositor, VICTIM)
    accounts.request_email_change(outsider, VICTIM)
    invitation.refresh_from_db()
    assert invitation.user is None and invitation.email == VICTIM
    assert CoOwnerInvitation.objects.filter(user=outsider).count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_sign_ups_with_one_address_at_once_both_succeed_and_one_gets_it():
    """The address check and the insert race: the constraint decides, and the loser's sign-up still
    succeeds (the same answer for both), its address left waiting for confirmation."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def sign_up(name):
        try:
            barrier.wait(timeout=10)
            results[name] = accounts.sign_up(username=name, email="Shared@Example.org", password=PASSPHRASE)
        except Exception as exc:
            results[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(isinstance(r, User) for r in results.values()), results
    users = User.objects.filter(username__in=["first", "second"])
    assert sorted(u.email for u in users) == ["", "shared@example.org"]
    assert sorted(u.pending_email for u in users) == ["", "shared@example.org"]
