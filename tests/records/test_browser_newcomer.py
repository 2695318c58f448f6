"""A newcomer's first hour in Debian's Chromium: files before the first save, the same-name question,
all errors in one round with a summary that moves the focus to each field."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from records.models import Record
from storage.models import FileVersion

WAIT = 60_000  # ms: the machine is busy


@pytest.fixture
def browser_published(transactional_db, depositor, valid_metadata):
    from records.services import create_draft, publish
    from storage import services

    record = create_draft(depositor, valid_metadata)
    services.store_bytes(record.bucket, "data.csv", b"a,b\n1,2\n3,4\n", depositor)
    return publish(record, depositor, declaration_accepted=True)


@pytest.mark.browser
def test_files_before_the_first_save_and_a_warning_for_an_empty_file(
    live_server, login_page, depositor, tmp_path
):
    page = login_page(depositor)
    page.goto(f"{live_server.url}/uploads/new/")
    assert not Record.objects.exists()
    data = tmp_path / "data.csv"
    data.write_bytes(b"x,y\n1,2\n")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    page.set_input_files("#first-files", [str(data), str(empty)])  # before any save
    expect(page.locator('.storage-file-row[data-key="data.csv"]')).to_be_visible(timeout=WAIT)
    expect(page.locator('.storage-file-row[data-key="empty.txt"]')).to_be_visible(timeout=WAIT)
    expect(page.locator(".storage-messages .message.warning")).to_contain_text("empty.txt is empty (0 bytes)")
    record = Record.objects.get()
    assert re.search(rf"/records/{record.pk}/edit/$", page.url)
    # the form carries on as the draft's form: saving keeps one draft, with its file
    page.fill("#id_title", "Förklarbar AI i offentlig sektor")
    page.click("button[name=action][value=save]")
    page.wait_for_url(f"**/records/{record.pk}/edit/", timeout=WAIT)
    assert Record.objects.count() == 1
    record.refresh_from_db()
    assert record.working_metadata["title"] == "Förklarbar AI i offentlig sektor"
    assert FileVersion.objects.filter(file__bucket=record.bucket, file__key="data.csv").count() == 1


@pytest.mark.browser
def test_same_name_upload_asks_first_cancel_keeps_and_confirm_makes_version_2(
    live_server, login_page, depositor, browser_published, tmp_path
):
    record = browser_published
    page = login_page(depositor)
    page.goto(f"{live_server.url}/records/{record.pk}/edit/")  # opens the edit draft
    expect(page.locator('.storage-file-row[data-key="data.csv"]')).to_be_visible(timeout=WAIT)
    smaller = tmp_path / "data.csv"
    smaller.write_bytes(b"tiny\n")
    questions: list[str] = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.set_input_files("#storage-file-input", str(smaller))
    expect(page.locator(".storage-messages")).to_contain_text("the earlier file is kept", timeout=WAIT)
    assert questions == ["Replace data.csv? The earlier file stays available as version 1."]
    assert page.locator(".storage-task").count() == 0
    assert not FileVersion.objects.filter(file__bucket=record.bucket, state="staged").exists()

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.set_input_files("#storage-file-input", str(smaller))
    expect(page.locator('.storage-file-row[data-key="data.csv"].storage-replaced')).to_be_visible(
        timeout=WAIT
    )
    assert len(questions) == 2
    page.click('button[value="publish"]')
    page.check("#id_declaration")
    page.click('main form button[type="submit"]')
    page.wait_for_url(f"**/records/{record.pk}/", timeout=WAIT)
    base = f"{live_server.url}/records/{record.pk}/files/data.csv"
    assert page.request.get(base + "?version=1").body() == b"a,b\n1,2\n3,4\n"
    assert page.request.get(base + "?version=2").body() == b"tiny\n"


@pytest.mark.browser
def test_all_errors_in_one_round_with_a_summary_whose_links_move_the_focus(
    live_server, login_page, depositor
):
    page = login_page(depositor)
    page.goto(f"{live_server.url}/uploads/new/")
    # the language picker is searchable and needs no Ctrl-click; the licence's full name is shown
    expect(page.locator("#languages-chosen")).to_have_text("Chosen: English")
    page.fill("#language-search", "finn")
    page.press("#language-search", "Enter")
    expect(page.locator("#languages-chosen")).to_contain_text("Finnish")
    expect(page.locator("#licence-chosen")).to_contain_text("Creative Commons Attribution 4.0 International")
    # every creator has an affiliation field, also one added in the page
    page.click("[data-add-row=creators]")
    expect(
        page.locator("[data-rows=creators] > [data-row]")
        .nth(1)
        .locator("input[name$='-affiliations-0-name']")
    ).to_be_visible()
    page.fill("#id_creators-0-orcid", "0000-0002-1694-2338")  # wrong check digit
    page.select_option("#id_license", "")
    page.fill("#id_title", "")
    page.click("button[name=action][value=publish]")
    page.wait_for_selector("#error-summary", timeout=WAIT)
    summary = page.locator("#error-summary")
    for label in ("Title", "Licence", "Creator 1: ORCID iD"):
        expect(summary.locator("a", has_text=label).first).to_be_visible()
    expect(page.locator("#id_creators-0-orcid_errors")).to_contain_text("check digit")
    summary.locator("a", has_text="Title").first.click()
    expect(page.locator("#id_title")).to_be_focused()
    summary.locator("a", has_text="Creator 1: ORCID iD").click()
    expect(page.locator("#id_creators-0-orcid")).to_be_focused()
    record = Record.objects.get()
    assert record.working_metadata["languages"] == ["eng", "fin"]


@pytest.mark.browser
def test_publish_confirmation_lists_files_and_communities_with_a_failing_check_then_says_who_was_told(
    live_server, login_page, depositor, curator, community, valid_metadata
):
    from curation.models import InclusionRequest
    from records.services import create_draft
    from storage import services

    record = create_draft(
        depositor, {**valid_metadata, "access_right": "closed"}, communities=["stockholm-ai"]
    )
    services.store_bytes(record.bucket, "results/table.csv", b"a,b\n1,2\n", depositor)
    page = login_page(depositor)
    page.goto(f"{live_server.url}/records/{record.pk}/publish/")
    expect(page.locator("#publish-files")).to_contain_text("results/table.csv")
    checks = page.locator('#publish-communities [data-community="stockholm-ai"]')
    expect(checks).to_contain_text("Stockholm AI Scientific Repository")
    failing = checks.locator(".check-fail")
    expect(failing).to_contain_text("The files are closed access; this community accepts open access.")
    expect(checks.locator(".check-pass").first).to_be_visible()  # the affiliation check passes
    page.check("#id_declaration")
    page.click("#confirm-publish")
    page.wait_for_url(f"**/records/{record.pk}/", timeout=WAIT)
    expect(page.locator("ul.messages")).to_contain_text(
        "The curators of Stockholm AI Scientific Repository were notified"
    )
    assert InclusionRequest.objects.filter(record=record, community=community).count() == 1


@pytest.mark.browser
def test_oai_pmh_reads_as_a_page_in_the_browser(live_server, page):
    page.goto(f"{live_server.url}/oai2d?verb=Identify")
    expect(page.locator("h1")).to_have_text("OAI-PMH Identify")
    expect(page.locator("tr", has_text="protocolVersion")).to_contain_text("2.0")
    page.click("nav a:text-is('ListSets')")  # links between the verbs
    expect(page.locator("h1")).to_have_text("OAI-PMH ListSets", timeout=WAIT)


@pytest.mark.browser
def test_pages_fit_a_390_px_phone(live_server, login_page, depositor, community, browser_published):
    record = browser_published
    page = login_page(depositor)
    page.set_viewport_size({"width": 390, "height": 844})
    wide = []
    for path in (
        f"/records/{record.pk}/",
        f"/communities/{community.slug}/",
        "/uploads/new/",
        f"/search/?q={record.metadata['title'].split()[0]}",
        "/policies/",
        "/oai2d?verb=ListRecords&metadataPrefix=oai_dc",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state()
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            culprits = page.evaluate(
                "Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 391 && !e.closest('table'))"
                ".slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
            )
            wide.append((path, width, culprits))
    assert wide == []


@pytest.mark.browser
def test_citation_style_picker(live_server, page, browser_published):
    record = browser_published
    page.goto(f"{live_server.url}/records/{record.pk}/")
    picker = page.locator("#citation-style")
    expect(picker).to_be_visible(timeout=WAIT)
    assert [o.strip() for o in picker.locator("option").all_inner_texts()] == [
        "APA",
        "Harvard",
        "IEEE",
        "Chicago (author-date)",
        "Vancouver",
    ]
    shown = page.locator(".citation-styled:visible")
    expect(shown).to_have_count(1)
    expect(shown).to_contain_text("Lindqvist")
    picker.select_option("ieee")
    expect(page.locator("#citation-ieee-styled")).to_be_visible()
    expect(page.locator("#citation-ieee-styled")).to_contain_text("Å. Lindqvist")  # IEEE: initials first
    picker.select_option("vancouver")
    expect(page.locator("#citation-vancouver-styled")).to_contain_text("Lindqvist Å")
    expect(page.locator(".citation-styled:visible")).to_have_count(1)


@pytest.mark.browser
def test_signed_in_header_is_one_line_at_1280_px(live_server, login_page, staff, community):
    from communities.models import MemberRole
    from communities.services import set_member

    set_member(staff, community, staff, MemberRole.CURATOR)  # the longest header: staff and curator
    page = login_page(staff)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/")
    tops = page.evaluate(
        "Array.from(document.querySelectorAll('.header-row > *, .main-nav li, .header-tools > *'))"
        ".map(e => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2))"
    )
    assert max(tops) - min(tops) <= 8, tops  # one line: every item's middle at the same height
    assert page.evaluate("(r => r.scrollWidth <= r.clientWidth)(document.querySelector('.header-row'))")
    # nothing overlaps: the menu ends before the tools begin, and the menu's items fit in it
    assert page.evaluate(
        "(n => n.querySelector('ul').scrollWidth <= n.clientWidth && n.getBoundingClientRect().right"
        " <= document.querySelector('.header-tools').getBoundingClientRect().left)(document.querySelector('.main-nav'))"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
