"""The withdrawal journey in Debian's Chromium: an owner asks, staff approve, the tombstone answers 410,
the files stay intact for staff, OAI-PMH reports the record deleted, and staff reinstate it."""

from __future__ import annotations

import hashlib

import pytest
from lxml import etree

from tests.conftest import PASSWORD
from tests.staff.conftest import DATA, METADATA

OAI_NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}
JUSTIFICATION = "A calibration error makes every value in the table wrong."


@pytest.fixture
def live_record(transactional_db, depositor):
    from records import services
    from storage import services as storage

    draft = services.create_draft(depositor, dict(METADATA))
    storage.store_bytes(draft.bucket, "data/table.csv", DATA, depositor)
    return services.publish(draft, depositor, declaration_accepted=True)


def log_in(browser, live_server, user):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_load_state()
    return page


def oai_header(page, live_server, record):
    response = page.request.get(
        f"{live_server.url}/oai2d?verb=GetRecord&metadataPrefix=oai_dc"
        f"&identifier=oai:repository.example.org:{record.pk}"
    )
    assert response.status == 200
    return etree.fromstring(response.body()).find(".//oai:header", OAI_NS)


def stored_copies_intact(record) -> bool:
    from storage import services as storage

    version = storage.find_version(record.bucket, "data/table.csv", None, privileged=True)
    assert version.instance.sha256.endswith(hashlib.sha256(DATA).hexdigest())
    results = storage.verify(version.instance)
    return bool(results) and all(results.values())


@pytest.mark.browser
def test_owner_requests_withdrawal_staff_approve_and_reinstate(
    live_server, browser, live_record, depositor, staff, settings
):
    settings.SITE_URL = live_server.url
    settings.OAI_REPOSITORY_IDENTIFIER = "repository.example.org"
    record = live_record
    landing = f"{live_server.url}/records/{record.pk}/"
    file_url = f"{live_server.url}/records/{record.pk}/files/data/table.csv"

    owner = log_in(browser, live_server, depositor)
    owner.goto(landing)
    owner.click("text=Request withdrawal")
    owner.fill("#id_justification", JUSTIFICATION)
    owner.click("#withdrawal-request-form button[type=submit]")
    owner.wait_for_load_state()
    assert "Your request was sent to the staff" in owner.content()

    desk = log_in(browser, live_server, staff)
    desk.goto(f"{live_server.url}/staff/")
    assert desk.inner_text("#count-request") == "1"
    desk.click("text=Withdrawals and reports")
    desk.click("#withdrawal-items tbody a >> nth=0")
    assert JUSTIFICATION in desk.inner_text("#item-note")
    desk.check("input[name=decision][value=approve]")
    desk.click("#decision-form button[type=submit]")
    desk.wait_for_load_state()
    assert "The record was withdrawn" in desk.content()

    public = browser.new_context().new_page()
    response = public.goto(landing)
    assert response.status == 410
    assert "no-cache" in response.headers["cache-control"]  # so the reinstatement below is seen at once
    assert JUSTIFICATION in public.inner_text(".withdrawal-reason")
    assert "At the request of the uploader" in public.inner_text("#withdrawn-by")
    response = public.goto(f"{live_server.url}/doi/{record.doi}")
    assert response.status == 410 and public.url == landing
    assert public.request.get(file_url).status == 410
    assert owner.request.get(file_url).status == 410
    staff_download = desk.request.get(file_url)
    assert staff_download.status == 200 and staff_download.body() == DATA
    assert stored_copies_intact(record)
    assert oai_header(public, live_server, record).get("status") == "deleted"

    desk.goto(f"{live_server.url}/staff/tombstones/")
    desk.fill(f"#reinstate-note-{record.pk}", "The calibration was fine after all.")
    desk.click(f"form[action='/staff/tombstones/{record.pk}/reinstate/'] button")
    desk.wait_for_load_state()
    assert desk.url == landing

    response = public.goto(landing)
    assert response.status == 200
    assert public.inner_text("#record-title") == METADATA["title"]
    assert public.request.get(file_url).body() == DATA
    assert oai_header(public, live_server, record).get("status") is None


@pytest.mark.browser
def test_withdrawal_and_staff_pages_have_no_severe_violations(
    live_server, browser, live_record, depositor, staff, capture_items
):
    from tests.repository.test_accessibility import severe_violations

    record = live_record
    problems = {}
    owner = log_in(browser, live_server, depositor)
    for path in [
        f"/records/{record.pk}/",
        f"/records/{record.pk}/withdrawal/",
        f"/records/{record.pk}/quota/",
    ]:
        owner.goto(live_server.url + path)
        problems[path] = severe_violations(owner)
    public = browser.new_context().new_page()
    public.goto(f"{live_server.url}/records/{record.pk}/report/")
    problems["report"] = severe_violations(public)
    desk = log_in(browser, live_server, staff)
    item = capture_items(record)
    for path in [
        "/staff/",
        "/staff/withdrawals/",
        f"/staff/withdrawals/{item.pk}/",
        "/staff/quota/",
        "/staff/audit/",
    ]:
        desk.goto(live_server.url + path)
        problems[path] = severe_violations(desk)
    from records import withdrawals

    withdrawals.withdraw_now(record, staff, "spam", "Advertising.")
    for path in ["/staff/tombstones/", f"/records/{record.pk}/"]:
        desk.goto(live_server.url + path)
        problems["staff " + path] = severe_violations(desk)
    public.goto(f"{live_server.url}/records/{record.pk}/")
    problems["tombstone"] = severe_violations(public)
    assert {path: found for path, found in problems.items() if found} == {}


@pytest.fixture
def capture_items(depositor, staff):
    """Open a withdrawal proposal and a quota request on ``record``; returns the proposal."""
    from records import withdrawals

    def make(record):
        withdrawals.request_quota(record, depositor, 10**12, "A larger corpus.")
        return withdrawals.propose_withdrawal(record, staff, "duplicate", "Same files as another record.")

    return make
