"""The curation pages: the queue, one request, the inbox, the landing page's Communities section; permissions; bad input."""

import pytest
from django.core import mail

from curation import services
from curation.models import InclusionRequest, Notification
from records.models import CommunityRecord
from tests.curation.conftest import OSLO_CREATOR


@pytest.fixture
def req(make_record, depositor, community):
    record = make_record(depositor)
    return services.request_inclusion(depositor, record, community)


@pytest.fixture
def failing_req(make_record, depositor, community):
    record = make_record(depositor, title="Neural nets in Oslo", creators=[OSLO_CREATOR])
    return services.request_inclusion(depositor, record, community)


# --- The queue -----------------------------------------------------------------------------------


def test_queue_shows_open_requests_oldest_first_with_checks(client_for, curator, community, req, failing_req):
    response = client_for(curator).get(f"/communities/{community.slug}/curation/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index(req.record.title) < body.index(failing_req.record.title)
    assert "Affiliation: pass" in body
    assert "KTH Royal Institute of Technology" in body
    assert "Affiliation: fail" in body
    assert "None of the affiliations (University of Oslo) is a registered Stockholm organisation." in body
    assert 'name="ids"' in body


def test_queue_filters(client_for, curator, community, req, failing_req):
    c = client_for(curator)
    body = c.get(f"/communities/{community.slug}/curation/?checks=fail").content.decode()
    assert failing_req.record.title in body and req.record.title not in body
    body = c.get(f"/communities/{community.slug}/curation/?checks=pass").content.decode()
    assert req.record.title in body and failing_req.record.title not in body
    body = c.get(f"/communities/{community.slug}/curation/?age=30").content.decode()
    assert req.record.title not in body and failing_req.record.title not in body
    InclusionRequest.objects.filter(pk=req.pk).update(created=req.created.replace(year=req.created.year - 1))
    body = c.get(f"/communities/{community.slug}/curation/?age=30").content.decode()
    assert req.record.title in body and failing_req.record.title not in body
    services.accept(curator, req)
    body = c.get(f"/communities/{community.slug}/curation/").content.decode()
    assert req.record.title not in body
    body = c.get(f"/communities/{community.slug}/curation/?state=accepted").content.decode()
    assert req.record.title in body and failing_req.record.title not in body
    body = c.get(f"/communities/{community.slug}/curation/?q=Oslo").content.decode()
    assert failing_req.record.title in body


def test_queue_query_count_does_not_grow_with_requests(
    client_for, curator, community, make_record, depositor, django_assert_max_num_queries
):
    for i in range(6):
        services.request_inclusion(
            depositor, make_record(depositor, title=f"Study of learning number {i}"), community
        )
    c = client_for(curator)
    c.get(f"/communities/{community.slug}/curation/")
    # per request: the storage's file listing (2 queries); everything else is fetched once
    with django_assert_max_num_queries(20 + 6 * 3):
        c.get(f"/communities/{community.slug}/curation/")


def test_bulk_actions_in_the_queue(client_for, curator, community, req, failing_req):
    c = client_for(curator)
    url = f"/communities/{community.slug}/curation/"
    response = c.post(url, {"ids": [failing_req.pk], "action": "decline", "reason": ""}, follow=True)
    assert "Give a reason for declining" in response.content.decode()
    failing_req.refresh_from_db()
    assert failing_req.state == "submitted"
    response = c.post(url, {"ids": [req.pk, failing_req.pk], "action": "accept"}, follow=True)
    assert "2 requests accepted." in response.content.decode()
    assert CommunityRecord.objects.filter(community=community).count() == 2
    response = c.post(url, {"ids": [req.pk], "action": "decline", "reason": "late"}, follow=True)
    assert (
        f"Request #{req.pk}: This request has already been decided: it was accepted."
        in response.content.decode()
    )


def test_header_shows_queue_count_for_curators(client_for, curator, depositor, req, failing_req, community):
    body = client_for(curator).get("/").content.decode()
    assert f'href="/communities/{community.slug}/curation/"' in body
    assert '<span class="badge" aria-label="open requests">2</span>' in body
    assert "/curation/" not in client_for(depositor).get("/").content.decode()


def test_curator_invites_from_queue(client_for, curator, community, make_record, depositor):
    record = make_record(depositor)
    c = client_for(curator)
    response = c.post(
        f"/communities/{community.slug}/curation/invite/",
        {"record": f"http://testserver/records/{record.pk}/"},
    )
    invitation = InclusionRequest.objects.get(record=record)
    assert response.status_code == 302 and response["Location"] == f"/requests/{invitation.pk}/"
    assert invitation.kind == "invitation"
    response = c.post(f"/communities/{community.slug}/curation/invite/", {"record": "999999"}, follow=True)
    assert "No published record matches “999999”." in response.content.decode()
    response = c.post(f"/communities/{community.slug}/curation/invite/", {"record": record.doi}, follow=True)
    assert "already been invited" in response.content.decode()


# --- One request ---------------------------------------------------------------------------------


def test_request_page_for_curator_and_owner(client_for, curator, depositor, req):
    body = client_for(curator).get(f"/requests/{req.pk}/").content.decode()
    assert req.record.title in body and "Policy checks" in body
    assert 'id="accept-button"' in body and "Reason for declining" in body
    assert "History" in body and "asked for inclusion" in body
    body = client_for(depositor).get(f"/requests/{req.pk}/").content.decode()
    assert 'id="accept-button"' not in body
    assert "Cancel my request" in body
    assert 'id="comment-form"' in body


def test_conversation_round_trip_through_the_pages(
    client_for, curator, depositor, req, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(curator).post(
            f"/requests/{req.pk}/comment/", {"body": "Which lab? <img src=x onerror=alert(1)>"}
        )
    assert response.status_code == 302
    assert mail.outbox[-1].to == [depositor.email]
    body = client_for(depositor).get(f"/requests/{req.pk}/").content.decode()
    assert "Which lab?" in body and "onerror" not in body
    client_for(depositor).post(f"/requests/{req.pk}/comment/", {"body": "The KTH AI lab."})
    body = client_for(curator).get(f"/requests/{req.pk}/").content.decode()
    assert body.index("Which lab?") < body.index("The KTH AI lab.")


def test_empty_comment_is_a_form_error(client_for, depositor, req):
    response = client_for(depositor).post(f"/requests/{req.pk}/comment/", {"body": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_decline_needs_reason_and_shows_it_to_owner(client_for, curator, depositor, req):
    response = client_for(curator).post(f"/requests/{req.pk}/decline/", {"reason": ""})
    assert response.status_code == 400
    req.refresh_from_db()
    assert req.state == "submitted"
    response = client_for(curator).post(f"/requests/{req.pk}/decline/", {"reason": "No Stockholm author."})
    assert response.status_code == 302
    body = client_for(depositor).get(f"/requests/{req.pk}/").content.decode()
    assert "Declined" in body and "No Stockholm author." in body
    body = client_for(depositor).get(req.record.get_absolute_url()).content.decode()
    assert "No Stockholm author." in body  # on the landing page's Communities section, for the owner


def test_decision_on_decided_request_gives_clear_message(client_for, curator, req):
    c = client_for(curator)
    assert c.post(f"/requests/{req.pk}/accept/").status_code == 302
    response = c.post(f"/requests/{req.pk}/accept/")
    assert response.status_code == 409
    assert "This request has already been decided: it was accepted." in response.content.decode()
    response = c.post(f"/requests/{req.pk}/decline/", {"reason": "too late"})
    assert response.status_code == 409
    req.refresh_from_db()
    assert req.state == "accepted"


def test_remove_from_request_page(client_for, curator, depositor, req, community):
    services.accept(curator, req)
    response = client_for(curator).post(f"/requests/{req.pk}/remove/", {"reason": "Out of scope"})
    assert response.status_code == 302
    assert services.accepted_communities(req.record) == []
    body = client_for(depositor).get(f"/requests/{req.pk}/").content.decode()
    assert "Removed" in body and "Out of scope" in body


def test_recheck(client_for, curator, req, community):
    community.check_rules = {"language": {"enabled": True, "languages": ["deu"]}}
    community.save()
    response = client_for(curator).post(f"/requests/{req.pk}/recheck/")
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.checks_status == "fail"


# --- Permission matrix -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, view_status, act_status",
    [
        ("curator", 200, 302),
        ("owner", 200, 302),
        ("other_curator", 404, 404),  # non-parties: the same 404 as a request that does not exist
        ("outsider", 404, 404),
        ("depositor", 200, 403),
        ("staff", 200, 403),
    ],
)
def test_permission_matrix(who, view_status, act_status, request, client_for, req, community, owner_user):
    users = {
        "curator": lambda: request.getfixturevalue("curator"),
        "owner": lambda: owner_user(community),
        "other_curator": lambda: request.getfixturevalue("other_curator"),
        "outsider": lambda: request.getfixturevalue("outsider"),
        "depositor": lambda: request.getfixturevalue("depositor"),
        "staff": lambda: request.getfixturevalue("staff"),
    }
    c = client_for(users[who]())
    assert c.get(f"/requests/{req.pk}/").status_code == view_status
    queue_status = 200 if who in ("curator", "owner") else 403
    assert c.get(f"/communities/{community.slug}/curation/").status_code == queue_status
    assert c.post(f"/requests/{req.pk}/accept/").status_code == act_status
    req.refresh_from_db()
    assert (req.state == "accepted") == (act_status == 302)


def test_anonymous_is_sent_to_login(client, req, community):
    assert client.get(f"/requests/{req.pk}/")["Location"].startswith("/accounts/login/")
    assert client.get(f"/communities/{community.slug}/curation/")["Location"].startswith("/accounts/login/")
    assert client.get("/inbox/")["Location"].startswith("/accounts/login/")


# --- Requests from the landing page ----------------------------------------------------------------


def test_owner_requests_inclusion_from_landing_page(client_for, depositor, make_record, community):
    record = make_record(depositor)
    c = client_for(depositor)
    body = c.get(record.get_absolute_url()).content.decode()
    assert "Ask a community to include this record" in body
    assert f'<option value="{community.slug}"' in body
    response = c.post(
        f"/records/{record.pk}/communities/request/", {"community": community.slug, "message": "Hi"}
    )
    assert response.status_code == 302
    assert InclusionRequest.objects.filter(record=record, community=community, state="submitted").count() == 1
    body = c.get(record.get_absolute_url()).content.decode()
    assert "Submitted" in body


def test_request_for_someone_elses_record_is_404(client_for, outsider, make_record, depositor, community):
    record = make_record(depositor)
    response = client_for(outsider).post(
        f"/records/{record.pk}/communities/request/", {"community": community.slug}
    )
    assert response.status_code == 404
    assert not InclusionRequest.objects.exists()
    assert (
        client_for(outsider)
        .post("/records/999999/communities/request/", {"community": community.slug})
        .status_code
        == 404
    )


def test_landing_page_lists_accepted_communities(client, client_for, curator, req, community):
    services.accept(curator, req)
    body = client.get(req.record.get_absolute_url()).content.decode()
    assert f'href="/communities/{community.slug}/"' in body
    assert "Ask a community" not in body  # anonymous visitors see no forms


def test_curator_invites_from_landing_page(client_for, curator, make_record, depositor, community):
    record = make_record(depositor)
    c = client_for(curator)
    assert "Invite this record to a community you curate" in c.get(record.get_absolute_url()).content.decode()
    c.post(f"/records/{record.pk}/communities/invite/", {"community": community.slug, "message": "Join us"})
    invitation = InclusionRequest.objects.get(record=record)
    assert invitation.kind == "invitation" and invitation.comments.get().body == "Join us"


def test_owner_accepts_invitation_in_browserless_flow(client_for, curator, depositor, make_record, community):
    record = make_record(depositor)
    invitation = services.invite(curator, record, community)
    c = client_for(depositor)
    body = c.get("/requests/").content.decode()
    assert "Invitations waiting for your answer" in body
    body = c.get(f"/requests/{invitation.pk}/").content.decode()
    assert "Accept invitation" in body
    assert c.post(f"/requests/{invitation.pk}/accept/").status_code == 302
    assert services.accepted_communities(record) == [community]


# --- Inbox ------------------------------------------------------------------------------------------


def test_inbox_shows_notifications_and_marks_read(client_for, curator, depositor, req):
    services.comment(depositor, req, "Please look")
    c = client_for(curator)
    body = c.get("/inbox/").content.decode()
    assert "Erik Depositor asks to include" in body
    assert "Erik Depositor wrote about" in body and "Please look" in body
    assert "2 unread notifications" in body
    note = Notification.objects.filter(user=curator).first()
    assert note is not None
    response = c.get(f"/inbox/{note.pk}/")
    assert response["Location"] == f"/requests/{req.pk}/"
    assert Notification.objects.get(pk=note.pk).read_at is not None
    assert Notification.objects.filter(user=curator, read_at__isnull=True).count() == 1
    c.get(response["Location"])  # viewing the request marks its notifications read
    assert Notification.objects.filter(user=curator, read_at__isnull=True).count() == 0
    assert client_for(depositor).get(f"/inbox/{note.pk}/").status_code == 404  # someone else's notification


def test_inbox_mark_all_read(client_for, curator, req):
    c = client_for(curator)
    c.post("/inbox/")
    assert Notification.objects.filter(user=curator, read_at__isnull=True).count() == 0


def test_queue_and_request_show_types_and_access_in_words(client_for, curator, req, community):
    c = client_for(curator)
    queue = c.get(f"/communities/{community.slug}/curation/").content.decode()
    assert "Journal article · Open access · CC-BY-4.0" in queue
    detail = c.get(f"/requests/{req.pk}/").content.decode()
    assert "Journal article" in detail and "Open access" in detail and "publication/article" not in detail
    services.accept(curator, req)
    page = client_for(curator).get(f"/communities/{community.slug}/", HTTP_ACCEPT_LANGUAGE="sv").content
    assert b"Tidskriftsartikel" in page


def test_inbox_says_where_each_request_stands_now(client_for, curator, req):
    c = client_for(curator)
    assert (
        'Request now:</span> <span class="state state-submitted">Submitted'
        in c.get("/inbox/").content.decode()
    )
    services.accept(curator, req)
    assert (
        'Request now:</span> <span class="state state-accepted">Accepted' in c.get("/inbox/").content.decode()
    )
