"""Co-owners: invited by username or e-mail, they accept, and then may edit and publish."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from records import services
from records.models import CoOwnerInvitation, InvitationState


def test_invite_by_username_accept_and_edit(
    client_for, depositor, outsider, published, django_capture_on_commit_callbacks
):
    owner = client_for(depositor)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(reverse("records:owners", args=[published.pk]), {"who": "outsider"})
    assert response.status_code == 302
    invitation = CoOwnerInvitation.objects.get()
    assert invitation.user == outsider and invitation.state == InvitationState.PENDING
    assert mail.outbox[-1].to == ["outsider@example.org"]
    assert invitation.get_absolute_url() in mail.outbox[-1].body
    guest = client_for(outsider)
    assert guest.get(reverse("records:edit", args=[published.pk])).status_code == 404  # not yet
    assert invitation.token and guest.get(invitation.get_absolute_url()).status_code == 200
    response = guest.post(invitation.get_absolute_url(), {"answer": "accept"})
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.is_owner(outsider)
    assert guest.get(reverse("records:edit", args=[published.pk])).status_code == 200
    assert published.pk in [r.pk for r in published.__class__.objects.owned_by(outsider)]


def test_invite_by_email_of_a_future_user(depositor, published, django_capture_on_commit_callbacks):
    from accounts.models import User

    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite_co_owner(published, depositor, "new.colleague@example.se")
    assert invitation.user is None and mail.outbox[-1].to == ["new.colleague@example.se"]
    newcomer = User.objects.create_user("newcomer", email="New.Colleague@example.se", password="x")
    # issue 10: the mailed link's token is the proof, not the address the account shows
    services.accept_invitation(invitation, newcomer, token=invitation.token)
    assert published.is_owner(newcomer)


def test_invitation_is_only_for_the_invited(client_for, depositor, outsider, staff, published):
    invitation = services.invite_co_owner(published, depositor, "outsider")
    assert client_for(staff).get(invitation.get_absolute_url()).status_code == 404
    with pytest.raises(services.RecordError):
        services.accept_invitation(invitation, staff)
    services.decline_invitation(invitation, outsider)
    with pytest.raises(services.InvalidState):
        services.accept_invitation(invitation, outsider)
    assert not published.is_owner(outsider)


def test_bad_invitations_are_refused(client_for, depositor, outsider, published):
    owner = client_for(depositor)
    response = owner.post(reverse("records:owners", args=[published.pk]), {"who": "nobody-by-that-name"})
    assert response.status_code == 400 and "There is no user" in response.content.decode()
    response = owner.post(reverse("records:owners", args=[published.pk]), {"who": "depositor"})
    assert response.status_code == 400 and "already owns" in response.content.decode()
    assert (
        client_for(outsider).post(reverse("records:owners", args=[published.pk]), {"who": "x"}).status_code
        == 404
    )


def test_remove_co_owner(depositor, outsider, published):
    invitation = services.invite_co_owner(published, depositor, "outsider")
    services.accept_invitation(invitation, outsider)
    services.remove_co_owner(published, depositor, outsider)
    assert not published.is_owner(outsider)
    with pytest.raises(services.RecordError):
        services.remove_co_owner(published, depositor, depositor)
