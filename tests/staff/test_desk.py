"""The staff desk: who may open each page, the front page's counts, tombstones, quota requests, the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from records import withdrawals
from records.models import QuotaRequest, Record
from tests.staff.conftest import mails_to

GB = 10**9


@pytest.fixture
def items(published, depositor, staff, capture):
    """One of everything the desk handles."""
    with capture():
        request = withdrawals.request_withdrawal(published, depositor, "Wrong data.")
        quota = withdrawals.request_quota(published, depositor, 60 * GB, "A larger corpus.")
    return {"request": request, "quota": quota}


def pages(items) -> list[tuple[str, str, dict]]:
    """(method, url, data) of every staff page and action."""
    record = items["request"].record
    return [
        ("get", "/staff/", {}),
        ("get", "/staff/withdrawals/", {}),
        (
            "post",
            "/staff/withdrawals/",
            {"record": record.pk, "reason": "spam", "note": "x", "action": "withdraw"},
        ),
        ("get", f"/staff/withdrawals/{items['request'].pk}/", {}),
        ("post", f"/staff/withdrawals/{items['request'].pk}/", {"decision": "approve", "reason": "other"}),
        ("get", "/staff/tombstones/", {}),
        ("post", f"/staff/tombstones/{record.pk}/reinstate/", {"note": ""}),
        ("get", "/staff/quota/", {}),
        ("post", f"/staff/quota/{items['quota'].pk}/", {"decision": "approve"}),
        ("get", "/staff/audit/", {}),
        ("get", "/staff/fixity/", {}),
    ]


def test_every_staff_page_refuses_anonymous_users_and_non_staff(
    client_for, items, depositor, outsider, curator
):
    for method, url, data in pages(items):
        response = getattr(Client(), method)(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url
        for user in (depositor, outsider, curator):
            assert getattr(client_for(user), method)(url, data).status_code == 403, (url, user)
    record = items["request"].record
    record.refresh_from_db()
    items["quota"].refresh_from_db()
    assert record.is_published() and items["quota"].is_open()


def test_staff_open_every_page(client_for, items, staff):
    for method, url, _data in pages(items):
        if method == "get":
            assert client_for(staff).get(url).status_code == 200, url


def test_the_front_page_counts_open_items(client_for, items, staff, published, capture):
    with capture():
        withdrawals.report_record(published, None, "spam", "Ads.")
    body = client_for(staff).get("/staff/").content.decode()
    assert '<span id="count-request">1</span>' in body
    assert '<span id="count-report">1</span>' in body
    assert '<span id="count-proposal">0</span>' in body
    assert '<span id="count-quota">1</span>' in body
    assert '<span id="count-tombstones">0</span>' in body
    assert 'href="/staff/fixity/"' in body and '<span id="count-damaged">0</span>' in body
    nav = client_for(staff).get(published.get_absolute_url()).content.decode()
    assert 'href="/staff/"' in nav


def test_tombstones_filter_by_reason_and_date(client_for, staff, depositor, published, capture):
    from records import services
    from tests.staff.conftest import METADATA

    with capture():
        other = services.publish(services.create_draft(depositor, dict(METADATA, title="Spam")), depositor)
        withdrawals.withdraw_now(published, staff, "legal", "Court order.")
        withdrawals.withdraw_now(other, staff, "spam", "Ads.")
    Record.objects.filter(pk=other.pk).update(withdrawn_at=timezone.now() - dt.timedelta(days=40))
    c = client_for(staff)
    everything = c.get("/staff/tombstones/").content.decode()
    assert "Court order." in everything and "Ads." in everything
    legal = c.get("/staff/tombstones/", {"reason": "legal"}).content.decode()
    assert "Court order." in legal and "Ads." not in legal
    recent = c.get("/staff/tombstones/", {"since": (timezone.localdate() - dt.timedelta(days=7)).isoformat()})
    assert "Court order." in recent.content.decode() and "Ads." not in recent.content.decode()
    old = c.get("/staff/tombstones/", {"until": (timezone.localdate() - dt.timedelta(days=30)).isoformat()})
    assert "Ads." in old.content.decode() and "Court order." not in old.content.decode()
    bad = c.get("/staff/tombstones/", {"since": "yesterday"})
    assert bad.status_code == 400 and "Enter a valid date." in bad.content.decode()


# --- Quota requests ----------------------------------------------------------------------------------------


def test_owner_asks_for_more_room_and_staff_grant_it(
    client_for, published, depositor, staff, capture, settings
):
    settings.RECORD_QUOTA_BYTES = 50 * GB
    page = client_for(depositor).get(f"/records/{published.pk}/quota/")
    assert page.status_code == 200 and "50 GB" in page.content.decode()
    with capture():
        response = client_for(depositor).post(
            f"/records/{published.pk}/quota/", {"amount_gb": "120", "reason": "The full corpus."}
        )
    assert response.status_code == 302
    item = QuotaRequest.objects.get()
    assert item.amount_bytes == 120 * GB and item.requested_by == depositor
    assert mails_to(mail.outbox, "desk@repository.example.org")
    listing = client_for(staff).get("/staff/quota/").content.decode()
    assert "The full corpus." in listing

    mail.outbox.clear()
    with capture():
        response = client_for(staff).post(
            f"/staff/quota/{item.pk}/", {"decision": "approve", "granted_gb": "100"}
        )
    assert response.status_code == 302
    item.refresh_from_db()
    published.bucket.refresh_from_db()
    assert item.state == "approved" and item.granted_bytes == 100 * GB
    assert published.bucket.max_bytes == 100 * GB
    [told] = mails_to(mail.outbox, depositor.email)
    assert "100 GB" in told.body
    assert AuditEntry.objects.filter(verb="set_quota").exists()
    assert AuditEntry.objects.filter(verb="approve_quota", object_id=str(published.pk)).exists()


def test_quota_grants_stop_at_the_ceiling_and_refusals_need_a_reason(
    client_for, published, depositor, staff, capture, settings
):
    settings.QUOTA_REQUEST_MAX_BYTES = 200 * GB
    with capture():
        item = withdrawals.request_quota(published, depositor, 500 * GB, "Everything.")
    c = client_for(staff)
    over = c.post(f"/staff/quota/{item.pk}/", {"decision": "approve"})
    assert over.status_code == 400 and "Grant between 1 byte and 200 GB." in over.content.decode()
    empty = c.post(f"/staff/quota/{item.pk}/", {"decision": "refuse", "note": ""})
    assert empty.status_code == 400 and "Give the reason for the refusal" in empty.content.decode()
    mail.outbox.clear()
    with capture():
        c.post(f"/staff/quota/{item.pk}/", {"decision": "refuse", "note": "Use an external archive."})
    item.refresh_from_db()
    published.bucket.refresh_from_db()
    assert item.state == "refused" and published.bucket.max_bytes is None
    [told] = mails_to(mail.outbox, depositor.email)
    assert "Use an external archive." in told.body


def test_quota_requests_bad_input(client_for, published, depositor, outsider, settings):
    settings.RECORD_QUOTA_BYTES = 50 * GB
    url = f"/records/{published.pk}/quota/"
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(outsider).post(url, {"amount_gb": "100", "reason": "x"}).status_code == 404
    small = client_for(depositor).post(url, {"amount_gb": "10", "reason": "More."})
    assert small.status_code == 400 and "ask for more than that" in small.content.decode()
    empty = client_for(depositor).post(url, {"amount_gb": "100", "reason": ""})
    assert empty.status_code == 400 and "Explain why the record needs more room." in empty.content.decode()
    nonsense = client_for(depositor).post(url, {"amount_gb": "lots", "reason": "More."})
    assert nonsense.status_code == 400
    assert not QuotaRequest.objects.exists()


# --- Audit log ------------------------------------------------------------------------------------------------


def test_the_audit_log_filters_by_actor_verb_object_and_date(client_for, items, staff, depositor, published):
    c = client_for(staff)
    by_depositor = c.get("/staff/audit/", {"actor": "depositor", "verb": "request_quota"}).content.decode()
    assert "request_quota" in by_depositor and "request_withdrawal" not in by_depositor
    on_record = c.get("/staff/audit/", {"object": f"records.record:{published.pk}"}).content.decode()
    assert "publish" in on_record and "request_withdrawal" in on_record
    nobody = c.get("/staff/audit/", {"actor": "nobody"}).content.decode()
    assert "request_withdrawal" not in nobody and "Nothing here." in nobody
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert "Nothing here." in c.get("/staff/audit/", {"since": tomorrow}).content.decode()
    assert "request_quota" in c.get("/staff/audit/", {"until": tomorrow}).content.decode()
    bad = c.get("/staff/audit/", {"until": "31/12"})
    assert bad.status_code == 400 and "Enter a valid date." in bad.content.decode()


def test_the_audit_log_is_paginated(client_for, staff):
    from audit.services import audit

    for n in range(55):
        audit(staff, f"test_verb_{n:02d}", staff)
    c = client_for(staff)
    first = c.get("/staff/audit/").content.decode()
    assert "test_verb_54" in first and "test_verb_00" not in first and 'rel="next"' in first
    second = c.get("/staff/audit/", {"page": 2}).content.decode()
    assert "test_verb_00" in second


def test_the_admin_lists_the_requests_read_only(client_for, items, staff):
    c = client_for(staff)
    for name in ("withdrawalrequest", "quotarequest"):
        assert c.get(f"/admin/records/{name}/").status_code == 200
        assert c.get(f"/admin/records/{name}/add/").status_code == 403
    page = c.get(f"/admin/records/withdrawalrequest/{items['request'].pk}/change/")
    assert page.status_code == 200 and "Wrong data." in page.content.decode()
