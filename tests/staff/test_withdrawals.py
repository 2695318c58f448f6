"""Withdrawal: owners' requests, staff proposals and the owners' consent, immediate takedowns,
reports, the tombstone, preserved files, reinstatement — through the pages people use."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEntry
from records.models import RecordState, WithdrawalKind, WithdrawalRequest
from tests.staff.conftest import DATA, mails_to

DESK = "desk@repository.example.org"


def withdrawal_url(record) -> str:
    return f"/records/{record.pk}/withdrawal/"


def request_withdrawal(
    client_for, record, owner, capture, text="The data set contains an error we cannot fix."
):
    with capture():
        response = client_for(owner).post(withdrawal_url(record), {"justification": text})
    assert response.status_code == 302
    return WithdrawalRequest.objects.get(record=record, kind=WithdrawalKind.REQUEST)


def decide(client_for, staff, item, capture, **data):
    with capture():
        return client_for(staff).post(f"/staff/withdrawals/{item.pk}/", data)


# --- Owners' requests ------------------------------------------------------------------------------


def test_owner_requests_staff_approve_and_the_tombstone_shows_the_justification(
    client_for, published, depositor, staff, capture
):
    page = client_for(depositor).get(published.get_absolute_url()).content.decode()
    assert f'href="{withdrawal_url(published)}"' in page
    item = request_withdrawal(client_for, published, depositor, capture)
    assert item.note == "The data set contains an error we cannot fix." and item.created_by == depositor
    [to_desk] = mails_to(mail.outbox, DESK)
    assert published.title in to_desk.subject and f"/staff/withdrawals/{item.pk}/" in to_desk.body
    assert "waiting for the staff" in client_for(depositor).get(withdrawal_url(published)).content.decode()

    mail.outbox.clear()
    response = decide(client_for, staff, item, capture, decision="approve", reason="other", note="")
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.state == RecordState.WITHDRAWN and published.withdrawn_by == "owner"
    assert published.withdrawal_reason == "The data set contains an error we cannot fix."
    [to_owner] = mails_to(mail.outbox, depositor.email)
    assert "withdrawn" in to_owner.subject and published.get_absolute_url() in to_owner.body

    tombstone = Client().get(published.get_absolute_url())
    assert tombstone.status_code == 410
    body = tombstone.content.decode()
    assert "The data set contains an error we cannot fix." in body
    assert "At the request of the uploader" in body and 'id="tombstone-citation"' in body
    assert "Lindqvist" in body and published.doi in body
    assert staff.email not in body and depositor.email not in body
    verbs = list(AuditEntry.objects.filter(object_id=str(published.pk)).values_list("verb", flat=True))
    assert {"request_withdrawal", "withdraw", "approve_withdrawal"} <= set(verbs)


def test_staff_refuse_a_request_with_a_note_and_the_owner_is_told(
    client_for, published, depositor, staff, capture
):
    item = request_withdrawal(client_for, published, depositor, capture)
    mail.outbox.clear()
    empty = decide(client_for, staff, item, capture, decision="refuse", reason="other", note="")
    assert empty.status_code == 400 and "Give the reason for the refusal" in empty.content.decode()
    response = decide(
        client_for,
        staff,
        item,
        capture,
        decision="refuse",
        reason="other",
        note="Please publish a new version.",
    )
    assert response.status_code == 302
    item.refresh_from_db()
    published.refresh_from_db()
    assert item.state == "refused" and published.state == RecordState.PUBLISHED
    [to_owner] = mails_to(mail.outbox, depositor.email)
    assert "refused" in to_owner.subject and "Please publish a new version." in to_owner.body
    again = decide(client_for, staff, item, capture, decision="approve", reason="other", note="")
    assert again.status_code == 409 and "already been decided" in again.content.decode()


def test_a_non_owner_cannot_request_withdrawal(client_for, published, outsider, staff):
    for user in (outsider, staff):
        assert client_for(user).get(withdrawal_url(published)).status_code == 404
        response = client_for(user).post(withdrawal_url(published), {"justification": "Mine now"})
        assert response.status_code == 404
    assert Client().get(withdrawal_url(published)).status_code == 302  # to the login page
    assert not WithdrawalRequest.objects.exists()


def test_an_empty_justification_is_a_form_error(client_for, published, depositor):
    response = client_for(depositor).post(withdrawal_url(published), {"justification": "   "})
    assert response.status_code == 400
    assert "Explain why the record should be withdrawn." in response.content.decode()
    assert not WithdrawalRequest.objects.exists()


# --- Staff proposals and the owners' consent -------------------------------------------------------------


def propose(client_for, staff, record, capture, reason="duplicate", note="Same files as record 1."):
    with capture():
        response = client_for(staff).post(
            "/staff/withdrawals/", {"record": record.pk, "reason": reason, "note": note, "action": "propose"}
        )
    assert response.status_code == 302, response.content.decode()
    return WithdrawalRequest.objects.get(record=record, kind=WithdrawalKind.PROPOSAL)


def answer(client_for, owner, item, capture, answer, note=""):
    with capture():
        return client_for(owner).post(
            withdrawal_url(item.record), {"proposal": item.pk, "answer": answer, "note": note}
        )


def test_owner_consents_to_a_proposal_and_staff_withdraw(
    client_for, published, depositor, staff, capture, settings
):
    settings.WITHDRAWAL_CONSENT_DAYS = 10
    item = propose(client_for, staff, published, capture)
    assert abs(item.deadline - (timezone.now() + dt.timedelta(days=10))) < dt.timedelta(minutes=1)
    [asked] = mails_to(mail.outbox, depositor.email)
    assert "http://testserver" + withdrawal_url(published) in asked.body
    assert "Duplicate" in asked.body and "Same files as record 1." in asked.body
    page = client_for(depositor).get(withdrawal_url(published)).content.decode()
    assert "Same files as record 1." in page and f'value="{item.pk}"' in page
    landing = client_for(depositor).get(published.get_absolute_url()).content.decode()
    assert 'id="withdrawal-proposal-notice"' in landing
    assert (
        'id="withdrawal-proposal-notice"' not in Client().get(published.get_absolute_url()).content.decode()
    )

    mail.outbox.clear()
    assert answer(client_for, depositor, item, capture, "consent", "Fine by me.").status_code == 302
    item.refresh_from_db()
    assert item.answer == "consent" and item.answered_by == depositor
    assert mails_to(mail.outbox, DESK)
    detail = client_for(staff).get(f"/staff/withdrawals/{item.pk}/").content.decode()
    assert "Consents" in detail and "Fine by me." in detail

    decide(client_for, staff, item, capture, decision="approve", reason="duplicate", note="")
    published.refresh_from_db()
    assert published.state == RecordState.WITHDRAWN
    assert published.withdrawal_category == "duplicate" and published.withdrawn_by == "staff"
    body = Client().get(published.get_absolute_url()).content.decode()
    assert "Duplicate" in body and "By the repository staff" in body and "Same files as record 1." in body


def test_owner_objects_and_staff_see_the_objection(client_for, published, depositor, staff, capture):
    item = propose(client_for, staff, published, capture, reason="out_of_scope", note="Not research.")
    answer(client_for, depositor, item, capture, "objection", "It is a research data set.")
    detail = client_for(staff).get(f"/staff/withdrawals/{item.pk}/").content.decode()
    assert "Objects" in detail and "It is a research data set." in detail
    listing = client_for(staff).get("/staff/withdrawals/").content.decode()
    assert "Objects" in listing
    mail.outbox.clear()
    decide(
        client_for, staff, item, capture, decision="refuse", reason="out_of_scope", note="Objection upheld."
    )
    published.refresh_from_db()
    assert published.state == RecordState.PUBLISHED
    [told] = mails_to(mail.outbox, depositor.email)
    assert "stays published" in told.subject and "Objection upheld." in told.body
    late = answer(client_for, depositor, item, capture, "consent")
    assert late.status_code == 404  # the proposal is closed: nothing to answer any more


def test_no_answer_by_the_deadline_is_marked_by_the_beat_job(
    client_for, published, depositor, staff, capture, settings
):
    from records.tasks import mark_overdue_proposals

    assert "records.tasks.mark_overdue_proposals" in {
        job["task"] for job in settings.CELERY_BEAT_SCHEDULE.values()
    }
    item = propose(client_for, staff, published, capture)
    assert mark_overdue_proposals() == 0
    assert "Waiting until" in client_for(staff).get(f"/staff/withdrawals/{item.pk}/").content.decode()
    WithdrawalRequest.objects.filter(pk=item.pk).update(deadline=timezone.now() - dt.timedelta(minutes=1))
    assert mark_overdue_proposals() == 1
    assert mark_overdue_proposals() == 0  # marked once
    item.refresh_from_db()
    assert item.deadline_passed and item.answer == ""
    detail = client_for(staff).get(f"/staff/withdrawals/{item.pk}/").content.decode()
    assert "No answer by the deadline" in detail
    decide(client_for, staff, item, capture, decision="approve", reason="duplicate", note="")
    published.refresh_from_db()
    assert published.is_withdrawn()
    assert AuditEntry.objects.filter(verb="withdrawal_no_answer", object_id=str(published.pk)).count() == 1


def test_an_answer_from_a_non_owner_is_refused(client_for, published, outsider, staff, capture):
    item = propose(client_for, staff, published, capture)
    blank = answer(client_for, published.owner, item, capture, "")
    assert blank.status_code == 400 and "Choose whether you consent or object." in blank.content.decode()
    assert answer(client_for, outsider, item, capture, "consent").status_code == 404
    item.refresh_from_db()
    assert item.answer == ""


# --- Immediate withdrawal ------------------------------------------------------------------------------------


def test_legal_takedown_is_immediate_and_owners_are_told(client_for, published, depositor, staff, capture):
    with capture():
        response = client_for(staff).post(
            "/staff/withdrawals/",
            {"record": published.pk, "reason": "legal", "note": "Court order 2024:17.", "action": "withdraw"},
        )
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.is_withdrawn() and published.withdrawal_category == "legal"
    [told] = mails_to(mail.outbox, depositor.email)
    assert "Copyright or legal" in told.body and "Court order 2024:17." in told.body
    body = Client().get(published.get_absolute_url()).content.decode()
    assert "Copyright or legal" in body and 'id="tombstone-citation"' in body


def test_spam_is_immediate_and_its_tombstone_has_no_citation(client_for, published, staff, capture):
    with capture():
        client_for(staff).post(
            "/staff/withdrawals/",
            {"record": published.pk, "reason": "spam", "note": "Advertising.", "action": "withdraw"},
        )
    response = Client().get(published.get_absolute_url())
    assert response.status_code == 410
    body = response.content.decode()
    assert "Spam" in body and "Advertising." in body and 'id="tombstone-citation"' not in body


def test_other_reasons_are_not_withdrawn_at_once(client_for, published, staff):
    response = client_for(staff).post(
        "/staff/withdrawals/",
        {"record": published.pk, "reason": "duplicate", "note": "Same as 1.", "action": "withdraw"},
    )
    assert response.status_code == 400
    assert "Only legal takedowns and spam are withdrawn at once" in response.content.decode()
    published.refresh_from_db()
    assert published.state == RecordState.PUBLISHED


def test_withdrawing_a_withdrawn_record_and_reinstating_a_live_one_say_why(
    client_for, published, staff, capture
):
    c = client_for(staff)
    response = c.post(f"/staff/tombstones/{published.pk}/reinstate/", {"note": ""}, follow=True)
    assert "this one is not withdrawn" in response.content.decode()
    with capture():
        c.post(
            "/staff/withdrawals/",
            {"record": published.pk, "reason": "spam", "note": "Spam.", "action": "withdraw"},
        )
    again = c.post(
        "/staff/withdrawals/",
        {"record": published.pk, "reason": "spam", "note": "Spam.", "action": "withdraw"},
    )
    assert again.status_code == 400 and "already been withdrawn" in again.content.decode()
    missing = c.post(
        "/staff/withdrawals/", {"record": 999999, "reason": "spam", "note": "x", "action": "withdraw"}
    )
    assert missing.status_code == 400 and "There is no record with this id." in missing.content.decode()


# --- Reports ----------------------------------------------------------------------------------------------


def test_anyone_reports_a_record_and_it_lands_in_the_staff_queue(
    client_ip, published, staff, client_for, capture
):
    landing = client_ip().get(published.get_absolute_url()).content.decode()
    assert f'action="/records/{published.pk}/report/"' in landing
    with capture():
        response = client_ip().post(
            f"/records/{published.pk}/report/",
            {"reason": "personal_data", "note": "Names of patients in row 3."},
        )
    assert response.status_code == 302
    item = WithdrawalRequest.objects.get(kind=WithdrawalKind.REPORT)
    assert item.reason == "personal_data" and item.created_by is None
    [to_desk] = mails_to(mail.outbox, DESK)
    assert "Names of patients in row 3." in to_desk.body
    listing = client_for(staff).get("/staff/withdrawals/").content.decode()
    assert "Report" in listing and published.title in listing
    decide(
        client_for,
        staff,
        item,
        capture,
        decision="refuse",
        reason="personal_data",
        note="No personal data found.",
    )
    item.refresh_from_db()
    assert item.state == "refused"


def test_a_report_needs_a_description(client_ip, published):
    response = client_ip().post(f"/records/{published.pk}/report/", {"reason": "spam", "note": ""})
    assert response.status_code == 400
    assert "Describe the problem with this record." in response.content.decode()
    bad = client_ip().post(f"/records/{published.pk}/report/", {"reason": "nonsense", "note": "x"})
    assert bad.status_code == 400
    assert not WithdrawalRequest.objects.exists()


def test_reports_are_rate_limited_per_address(client_ip, published, settings):
    settings.RATELIMIT_REPORTS = "2/h"
    reporter = client_ip()
    for _n in range(2):
        assert (
            reporter.post(f"/records/{published.pk}/report/", {"reason": "spam", "note": "Ads."}).status_code
            == 302
        )
    limited = reporter.post(f"/records/{published.pk}/report/", {"reason": "spam", "note": "Ads."})
    assert limited.status_code == 429 and "Too many reports" in limited.content.decode()
    assert int(limited["Retry-After"]) > 0
    assert WithdrawalRequest.objects.count() == 2
    assert (
        client_ip().post(f"/records/{published.pk}/report/", {"reason": "spam", "note": "Ads."}).status_code
        == 302
    )


# --- Tombstone, files, exports, API, reinstatement -------------------------------------------------------------


def test_withdrawn_files_are_410_for_everyone_but_staff_and_stay_intact(
    client_for, published, depositor, outsider, staff, capture
):
    from storage import services as storage

    with capture():
        client_for(staff).post(
            "/staff/withdrawals/",
            {"record": published.pk, "reason": "legal", "note": "Takedown.", "action": "withdraw"},
        )
    url = f"/records/{published.pk}/files/data/table.csv"
    for c in (Client(), client_for(outsider), client_for(depositor)):
        assert c.get(url).status_code == 410
        assert c.get(url + "?version=1").status_code == 410
        assert c.get(f"/records/{published.pk}/files.zip").status_code == 410
        assert c.get(f"/records/{published.pk}/export/json").status_code == 410
    response = client_for(staff).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == DATA
    version = storage.find_version(published.bucket, "data/table.csv", None, privileged=True)
    assert version.instance.md5 == "md5:" + hashlib.md5(DATA).hexdigest()
    assert all(storage.verify(version.instance).values())
    api = APIClient().get(f"/api/v1/records/{published.pk}")
    assert api.status_code == 410
    assert api.json()["state"] == "withdrawn" and api.json()["withdrawal_category"] == "legal"


def test_reinstatement_brings_everything_back_and_keeps_both_events(
    client_for, published, depositor, staff, capture
):
    item = request_withdrawal(client_for, published, depositor, capture)
    decide(client_for, staff, item, capture, decision="approve", reason="other", note="")
    mail.outbox.clear()
    with capture():
        response = client_for(staff).post(
            f"/staff/tombstones/{published.pk}/reinstate/", {"note": "Error fixed."}
        )
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.state == RecordState.PUBLISHED
    assert published.withdrawal_category == "" and published.withdrawn_by == ""
    assert Client().get(published.get_absolute_url()).status_code == 200
    assert Client().get(f"/records/{published.pk}/files/data/table.csv").status_code == 200
    assert mails_to(mail.outbox, depositor.email)
    verbs = list(
        AuditEntry.objects.filter(object_id=str(published.pk), verb__in=["withdraw", "reinstate"])
        .order_by("created", "id")
        .values_list("verb", flat=True)
    )
    assert verbs == ["withdraw", "reinstate"]
    assert AuditEntry.objects.get(verb="reinstate").reason == "Error fixed."
