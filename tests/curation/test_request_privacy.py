"""Requests answer non-parties exactly as if they did not exist (issue #10): the same 404, page and API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from curation import services


@pytest.fixture
def req(make_record, depositor, community):
    return services.request_inclusion(depositor, make_record(depositor), community)


def test_an_existing_request_and_a_missing_one_look_the_same_to_a_non_party(
    client_for, outsider, other_curator, req
):
    missing = req.pk + 1000
    for user in (outsider, other_curator):
        c = client_for(user)
        for suffix in ("", "accept/", "decline/", "cancel/", "remove/", "comment/", "recheck/"):
            method = c.get if not suffix else c.post
            real, absent = method(f"/requests/{req.pk}/{suffix}"), method(f"/requests/{missing}/{suffix}")
            assert real.status_code == absent.status_code == 404, (user.username, suffix)
        api = APIClient()
        api.force_authenticate(user)
        real, absent = api.get(f"/api/v1/requests/{req.pk}"), api.get(f"/api/v1/requests/{missing}")
        assert real.status_code == absent.status_code == 404
        assert real.json() == absent.json()
    req.refresh_from_db()
    assert req.state == "submitted"


def test_parties_still_see_the_request(client_for, depositor, curator, req):
    for user in (depositor, curator):
        assert client_for(user).get(f"/requests/{req.pk}/").status_code == 200


def test_a_co_owner_invitation_for_someone_else_looks_like_a_missing_one(client_for, depositor, outsider):
    from accounts.models import User
    from records import services as record_services
    from records.models import CoOwnerInvitation
    from tests.records.conftest import make_metadata

    # bound to a named account (an invitation by e-mail is bound to its mailed link instead: the token
    # is then the proof, and whoever holds it may answer)
    someone_else = User.objects.create_user(
        username="someone-else",
        email="someone-else@example.org",
        password="x-pass-12345",
        email_verified=True,
    )
    record = record_services.create_draft(depositor, make_metadata())
    invitation = record_services.invite_co_owner(record, depositor, someone_else.username)
    assert isinstance(invitation, CoOwnerInvitation) and invitation.user == someone_else
    c = client_for(outsider)
    real = c.get(f"/records/invitations/{invitation.token}/")
    absent = c.get("/records/invitations/no-such-token/")
    assert real.status_code == absent.status_code == 404
    assert (
        c.get(f"/records/{record.pk}/").status_code
        == c.get(f"/records/{record.pk + 1000}/").status_code
        == 404
    )
