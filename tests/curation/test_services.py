"""Each transition with its audit entry, inbox notifications and e-mails (sent by the Celery task)."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from audit.models import AuditEntry
from curation import services
from curation.models import Comment, InclusionRequest, Notification, RequestState
from records.models import CommunityRecord
from tests.curation.conftest import OSLO_CREATOR


@pytest.fixture
def published(make_record, depositor):
    return make_record(depositor)


def audit_verbs(req):
    return list(
        AuditEntry.objects.filter(object_type="curation.inclusionrequest", object_id=str(req.pk))
        .order_by("created", "id")
        .values_list("verb", flat=True)
    )


def sent(django_capture_on_commit_callbacks, fn, *args, **kwargs):
    """Run a verb, then its after-commit work (the e-mail tasks run eagerly); returns (result, new mails)."""
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        result = fn(*args, **kwargs)
    return result, mail.outbox[before:]


def test_request_inclusion_notifies_curators(
    published, depositor, curator, community, django_capture_on_commit_callbacks
):
    req, mails = sent(
        django_capture_on_commit_callbacks,
        services.request_inclusion,
        depositor,
        published,
        community,
        message="Please <b>include</b> it",
    )
    assert req.state == RequestState.SUBMITTED
    assert req.checks_status == "pass"
    assert [m.to for m in mails] == [[curator.email]]
    assert mails[0].subject == "New inclusion request for Stockholm AI Scientific Repository"
    assert published.title in mails[0].body
    assert f"/requests/{req.pk}/" in mails[0].body
    assert req.comments.get().body == "Please <b>include</b> it"
    assert audit_verbs(req) == ["request_inclusion"]
    assert Notification.objects.get(user=curator).event == "submitted"
    expected = timezone.now() + dt.timedelta(days=60)
    assert abs((req.expires_at - expected).total_seconds()) < 60


def test_accept_adds_membership_and_tells_owner(
    published, depositor, curator, community, django_capture_on_commit_callbacks
):
    req = services.request_inclusion(depositor, published, community)
    req, mails = sent(django_capture_on_commit_callbacks, services.accept, curator, req)
    assert req.state == RequestState.ACCEPTED
    assert req.decided_by == curator
    link = CommunityRecord.objects.get(community=community, record=published)
    assert link.removed_at is None
    assert services.accepted_communities(published) == [community]
    assert [m.to for m in mails] == [[depositor.email]]
    assert mails[0].subject == f"Accepted into {community.title}: “{published.title}”"
    assert audit_verbs(req) == ["request_inclusion", "accept"]


def test_decline_requires_reason_and_keeps_record_public(
    published, depositor, curator, community, django_capture_on_commit_callbacks
):
    req = services.request_inclusion(depositor, published, community)
    with pytest.raises(services.CurationError, match="reason"):
        services.decline(curator, req, "  ")
    req, mails = sent(
        django_capture_on_commit_callbacks, services.decline, curator, req, "No Stockholm affiliation."
    )
    assert req.state == RequestState.DECLINED
    assert req.reason == "No Stockholm affiliation."
    assert not CommunityRecord.objects.filter(record=published).exists()
    published.refresh_from_db()
    assert published.is_published()
    assert [m.to for m in mails] == [[depositor.email]]
    assert "No Stockholm affiliation." in mails[0].body
    entry = AuditEntry.objects.get(verb="decline")
    assert entry.reason == "No Stockholm affiliation." and entry.actor == curator
    assert entry.before["state"] == "submitted" and entry.after["state"] == "declined"


def test_decision_on_decided_request_is_refused(published, depositor, curator, community):
    req = services.request_inclusion(depositor, published, community)
    services.accept(curator, req)
    with pytest.raises(services.AlreadyDecided, match="already been decided: it was accepted"):
        services.decline(curator, req, "changed my mind")
    with pytest.raises(services.AlreadyDecided):
        services.accept(curator, req)
    req.refresh_from_db()
    assert req.state == RequestState.ACCEPTED
    assert audit_verbs(req) == ["request_inclusion", "accept"]


def test_cancel_by_requester(published, depositor, curator, community, django_capture_on_commit_callbacks):
    req = services.request_inclusion(depositor, published, community)
    with pytest.raises(services.NotAllowed):
        services.cancel(curator, req)
    req, mails = sent(django_capture_on_commit_callbacks, services.cancel, depositor, req, "Wrong community")
    assert req.state == RequestState.CANCELLED
    assert [m.to for m in mails] == [[curator.email]]
    assert "cancelled" in mails[0].body
    # the owner may ask again once the request is closed
    again = services.request_inclusion(depositor, published, community)
    assert again.pk != req.pk and again.state == RequestState.SUBMITTED


def test_remove_accepted_record(published, depositor, curator, community, django_capture_on_commit_callbacks):
    req = services.accept(curator, services.request_inclusion(depositor, published, community))
    with pytest.raises(services.CurationError, match="reason"):
        services.remove(curator, req, "")
    with pytest.raises(services.NotAllowed):
        services.remove(depositor, req, "I want out")
    req, mails = sent(
        django_capture_on_commit_callbacks, services.remove, curator, req, "Out of scope: not about AI."
    )
    assert req.state == RequestState.REMOVED and req.reason == "Out of scope: not about AI."
    link = CommunityRecord.objects.get(record=published, community=community)
    assert link.removed_at is not None and link.removal_reason == "Out of scope: not about AI."
    assert services.accepted_communities(published) == []
    assert [m.to for m in mails] == [[depositor.email]]
    assert "Out of scope" in mails[0].body and "removed" in mails[0].subject.lower()
    with pytest.raises(services.AlreadyDecided):
        services.remove(curator, req, "again")


def test_accept_after_removal_revives_membership(published, depositor, curator, community):
    req = services.accept(curator, services.request_inclusion(depositor, published, community))
    services.remove(curator, req, "Temporarily out")
    again = services.accept(curator, services.request_inclusion(depositor, published, community))
    link = CommunityRecord.objects.get(record=published, community=community)
    assert again.state == RequestState.ACCEPTED
    assert link.removed_at is None and link.removal_reason == ""
    assert CommunityRecord.objects.filter(record=published).count() == 1


def test_comments_go_to_the_other_side_sanitised(
    published, depositor, curator, community, django_capture_on_commit_callbacks
):
    req = services.request_inclusion(depositor, published, community)
    note, mails = sent(
        django_capture_on_commit_callbacks,
        services.comment,
        curator,
        req,
        'Which <b>lab</b>? <script>alert(1)</script><a href="javascript:alert(2)" onclick="x()">link</a>',
    )
    assert "<script>" not in note.body and "javascript:" not in note.body and "onclick" not in note.body
    assert "<b>lab</b>" in note.body
    assert [m.to for m in mails] == [[depositor.email]]
    assert "Which lab?" in mails[0].body and "<b>" not in mails[0].body
    note, mails = sent(
        django_capture_on_commit_callbacks, services.comment, depositor, req, "The AI lab at KTH."
    )
    assert [m.to for m in mails] == [[curator.email]]
    assert Comment.objects.filter(request=req).count() == 2
    assert audit_verbs(req) == ["request_inclusion", "comment", "comment"]


def test_empty_comment_refused(published, depositor, community):
    req = services.request_inclusion(depositor, published, community)
    with pytest.raises(services.CurationError, match="Write a message"):
        services.comment(depositor, req, "<script>x</script>   ")


def test_outsider_cannot_comment(published, depositor, outsider, community):
    req = services.request_inclusion(depositor, published, community)
    with pytest.raises(services.NotAllowed):
        services.comment(outsider, req, "hello")


def test_request_for_someone_elses_record_is_not_found(published, outsider, community):
    with pytest.raises(services.NotFound):
        services.request_inclusion(outsider, published, community)
    assert not InclusionRequest.objects.exists()


def test_duplicate_open_request_refused(published, depositor, community):
    services.request_inclusion(depositor, published, community)
    with pytest.raises(services.CurationError, match="already waits"):
        services.request_inclusion(depositor, published, community)
    assert InclusionRequest.objects.count() == 1


def test_draft_cannot_be_requested(depositor, community):
    from records.services import create_draft
    from tests.curation.conftest import metadata

    draft = create_draft(depositor, metadata())
    with pytest.raises(services.CurationError, match="published"):
        services.request_inclusion(depositor, draft, community)


def test_swedish_owner_gets_swedish_emails(
    make_record, swedish_depositor, curator, community, django_capture_on_commit_callbacks
):
    record = make_record(swedish_depositor)
    req = services.request_inclusion(swedish_depositor, record, community)
    _, mails = sent(django_capture_on_commit_callbacks, services.comment, curator, req, "Vilket labb?")
    assert mails[0].subject == f"Ny kommentar om ”{record.title}”"
    assert "Hej Sven Svensson," in mails[0].body
    assert "Se begäran och samtalet om den:" in mails[0].body
    _, mails = sent(
        django_capture_on_commit_callbacks, services.decline, curator, req, "Ingen Stockholmsanknytning."
    )
    assert mails[0].to == [swedish_depositor.email]
    assert mails[0].subject == f"Avböjd av {community.title}: ”{record.title}”"
    assert "Motivering:" in mails[0].body and "Ingen Stockholmsanknytning." in mails[0].body
    assert "avböjdes" in mails[0].body
    # the curator (English) gets English mail for the same kind of event
    _, mails = sent(django_capture_on_commit_callbacks, services.comment, swedish_depositor, req, "Varför?")
    assert mails[0].to == [curator.email] and mails[0].subject.startswith("New comment on")


def test_opt_out_per_kind_stops_email_but_keeps_inbox(
    published, depositor, curator, community, django_capture_on_commit_callbacks
):
    depositor.notification_settings = {"request_decision": False}
    depositor.save(update_fields=["notification_settings"])
    req = services.request_inclusion(depositor, published, community)
    _, mails = sent(django_capture_on_commit_callbacks, services.accept, curator, req)
    assert mails == []
    assert Notification.objects.filter(user=depositor, event="accepted").count() == 1
    # other kinds still arrive
    req2 = services.request_inclusion(depositor, make_second(depositor), community)
    _, mails = sent(django_capture_on_commit_callbacks, services.comment, curator, req2, "Hi")
    assert [m.to for m in mails] == [[depositor.email]]


def make_second(owner):
    from tests.curation.conftest import publish_record

    return publish_record(owner, title="A second record about reinforcement learning")


def test_email_task_is_idempotent(
    published, depositor, curator, community, django_capture_on_commit_callbacks
):
    from curation.tasks import send_notification_email

    req = services.request_inclusion(depositor, published, community)
    _, mails = sent(django_capture_on_commit_callbacks, services.accept, curator, req)
    assert len(mails) == 1
    notification = Notification.objects.get(user=depositor, event="accepted")
    assert send_notification_email(notification.pk) is False  # already sent: a redelivered task sends nothing
    assert len(mail.outbox) == 1  # only the decision mail (the request was not committed in this test)


def test_co_owners_are_told_too(
    published, depositor, curator, community, outsider, django_capture_on_commit_callbacks
):
    published.co_owners.add(outsider)
    req = services.request_inclusion(depositor, published, community)
    _, mails = sent(django_capture_on_commit_callbacks, services.accept, curator, req)
    assert sorted(m.to[0] for m in mails) == sorted([depositor.email, outsider.email])


# --- invitations ------------------------------------------------------------------------------------


def test_invitation_accepted_by_owner(
    published, depositor, curator, community, django_capture_on_commit_callbacks
):
    req, mails = sent(
        django_capture_on_commit_callbacks,
        services.invite,
        curator,
        published,
        community,
        message="Would you join?",
    )
    assert req.kind == "invitation" and req.state == RequestState.SUBMITTED
    assert [m.to for m in mails] == [[depositor.email]]
    assert mails[0].subject == f"Invitation to {community.title}"
    assert "Would you join?" in mails[0].body
    with pytest.raises(services.NotAllowed):
        services.accept(curator, req)  # the owner decides on an invitation
    req, mails = sent(django_capture_on_commit_callbacks, services.accept, depositor, req)
    assert req.state == RequestState.ACCEPTED
    assert services.accepted_communities(published) == [community]
    assert [m.to for m in mails] == [[curator.email]]
    assert "accepted the invitation" in mails[0].body
    assert audit_verbs(req) == ["invite", "accept"]


def test_invitation_declined_by_owner_without_reason(
    published, depositor, curator, community, django_capture_on_commit_callbacks
):
    req = services.invite(curator, published, community)
    req, mails = sent(django_capture_on_commit_callbacks, services.decline, depositor, req)
    assert req.state == RequestState.DECLINED
    assert not CommunityRecord.objects.exists()
    assert [m.to for m in mails] == [[curator.email]]


def test_invitation_withdrawn_by_curator(published, depositor, curator, community):
    req = services.invite(curator, published, community)
    with pytest.raises(services.NotAllowed):
        services.cancel(depositor, req)
    assert services.cancel(curator, req).state == RequestState.CANCELLED


def test_only_curators_invite(published, outsider, other_curator, community):
    with pytest.raises(services.NotAllowed):
        services.invite(outsider, published, community)
    with pytest.raises(services.NotAllowed):
        services.invite(other_curator, published, community)


def test_owner_request_after_invitation_points_to_it(published, depositor, curator, community):
    services.invite(curator, published, community)
    with pytest.raises(services.CurationError, match="accept the invitation"):
        services.request_inclusion(depositor, published, community)


# --- publish hook -----------------------------------------------------------------------------------


def test_publishing_with_requested_community_opens_request(
    make_record, depositor, curator, community, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record = make_record(depositor, communities=[community.slug])
    req = InclusionRequest.objects.get(record=record)
    assert req.community == community and req.created_by == depositor
    assert record.requested_communities == []
    record.refresh_from_db()
    assert record.requested_communities == []
    assert any(m.to == [curator.email] and "New inclusion request" in m.subject for m in mail.outbox)


def test_edit_publish_reruns_checks_and_adds_communities(
    make_record, depositor, curator, community, other_community
):
    from records import services as records

    record = make_record(depositor, creators=[OSLO_CREATOR], communities=[community.slug])
    req = InclusionRequest.objects.get(record=record)
    assert req.checks_status == "fail"
    records.open_edit(record, depositor)
    meta = dict(
        record.working_metadata,
        creators=[{"name": "Nordmann, Ola", "affiliations": [{"name": "Stockholms universitet"}]}],
    )
    records.update_metadata(record, depositor, meta, communities=[other_community.slug])
    services.publish_record(record, depositor, declaration_accepted=True)
    req.refresh_from_db()
    assert req.checks_status == "pass"
    assert InclusionRequest.objects.filter(
        record=record, community=other_community, state="submitted"
    ).exists()


# --- bulk ---------------------------------------------------------------------------------------------


def test_bulk_accept_and_decline(
    make_record, depositor, curator, community, other_community, django_capture_on_commit_callbacks
):
    records = [make_record(depositor, title=f"Neural network study number {i}") for i in range(4)]
    reqs = [services.request_inclusion(depositor, r, community) for r in records]
    services.accept(curator, reqs[0])
    foreign = services.request_inclusion(depositor, records[0], other_community)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.bulk_decide(
            curator, community, [reqs[0].pk, reqs[1].pk, reqs[2].pk, foreign.pk], "accept"
        )
    assert [r.pk for r in outcome.done] == [reqs[1].pk, reqs[2].pk]
    skipped = dict(outcome.skipped)
    assert "already been decided" in skipped[reqs[0].pk]
    assert "Not a request of this community" in skipped[foreign.pk]
    assert CommunityRecord.objects.filter(community=community).count() == 3
    with pytest.raises(services.CurationError, match="reason"):
        services.bulk_decide(curator, community, [reqs[3].pk], "decline", "")
    outcome = services.bulk_decide(curator, community, [reqs[3].pk], "decline", "Out of scope")
    assert outcome.done[0].state == "declined" and outcome.done[0].reason == "Out of scope"
    foreign.refresh_from_db()
    assert foreign.state == "submitted"


def test_bulk_by_curator_of_other_community_refused(make_record, depositor, other_curator, community):
    req = services.request_inclusion(depositor, make_record(depositor), community)
    with pytest.raises(services.NotAllowed):
        services.bulk_decide(other_curator, community, [req.pk], "accept")
    req.refresh_from_db()
    assert req.state == "submitted"


def test_publish_by_staff_opens_the_request_in_the_owners_name(depositor, staff, curator, community):
    from records import services as records
    from tests.curation.conftest import metadata

    draft = records.create_draft(depositor, metadata(), communities=[community.slug])
    services.publish_record(draft, staff, declaration_accepted=True)
    req = InclusionRequest.objects.get(record=draft)
    assert req.created_by == depositor


def test_restricted_community_the_owner_cannot_see_is_not_requested(depositor, staff):
    from communities.services import create_community
    from records import services as records
    from tests.curation.conftest import metadata

    hidden = create_community(staff, slug="hidden-lab", title="Hidden Lab", visibility="restricted")
    draft = records.create_draft(depositor, metadata(), communities=[hidden.slug])
    services.publish_record(draft, depositor, declaration_accepted=True)
    assert not InclusionRequest.objects.filter(record=draft).exists()
    draft.refresh_from_db()
    assert draft.requested_communities == [hidden.slug]


def test_a_record_can_be_in_many_communities(
    client, make_record, depositor, curator, other_curator, community, other_community
):
    record = make_record(depositor, communities=[community.slug, other_community.slug])
    first = InclusionRequest.objects.get(record=record, community=community)
    second = InclusionRequest.objects.get(record=record, community=other_community)
    services.accept(curator, first)
    services.accept(other_curator, second)
    assert [c.slug for c in services.accepted_communities(record)] == ["gothenburg-bio", "stockholm-ai"]
    for slug in ("stockholm-ai", "gothenburg-bio"):
        assert record.title in client.get(f"/communities/{slug}/").content.decode()
        response = client.get(f"/oai2d?verb=ListIdentifiers&metadataPrefix=oai_dc&set=user-{slug}")
        oai = b"".join(response.streaming_content).decode()
        assert f":{record.pk}</identifier>" in oai
    landing = client.get(record.get_absolute_url()).content.decode()
    assert "Gothenburg Biology" in landing and "Stockholm AI Scientific Repository" in landing
    services.remove(curator, InclusionRequest.objects.get(pk=first.pk), "Out of scope")
    assert [c.slug for c in services.accepted_communities(record)] == ["gothenburg-bio"]
    assert record.title not in client.get("/communities/stockholm-ai/").content.decode()
