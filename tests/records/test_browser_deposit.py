"""The deposit and edit journey in Debian's Chromium (Playwright), as a depositor does it."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from records.models import Record, RecordState

SHOTS = os.environ.get("RECORDS_SCREENSHOTS")  # a folder: save screenshots there while developing


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.mark.browser
def test_deposit_publish_edit_discard_and_republish(login_page, live_server, depositor):
    page = login_page(depositor)
    page.goto(f"{live_server.url}/uploads/new/")
    page.select_option("#id_resource_type", "publication")
    expect(page.locator("#id_publication_type")).to_be_visible()
    page.select_option("#id_publication_type", "article")
    page.fill("#id_title", "Språkmodeller för svenska myndighetstexter")
    page.fill("#id_publication_date", "2024-06-30")

    # the first creator comes from the profile; add a second one with an affiliation and an ORCID
    expect(page.locator("#id_creators-0-family_name")).to_have_value("Depositor")
    page.click("[data-add-row=creators]")
    expect(page.locator("#rows-status")).to_have_text("Creator 2 added")  # for screen readers
    second = page.locator("[data-rows=creators] > [data-row]").nth(1)
    second.locator("input[name$='-family_name']").fill("Öberg")
    second.locator("input[name$='-given_name']").fill("Linnéa")
    second.locator("input[name$='-orcid']").fill("0000-0002-1694-2338")  # wrong check digit
    # every creator row comes with an affiliation field
    second.locator("input[name*='-affiliations-'][name$='-name']").fill("KTH Royal Institute of Technology")
    # reorder and back: the move buttons work
    second.locator("[data-move=up]").click()
    expect(
        page.locator("[data-rows=creators] > [data-row]").first.locator("input[name$='-family_name']")
    ).to_have_value("Öberg")
    page.locator("[data-rows=creators] > [data-row]").first.locator("[data-move=down]").click()

    # the description's rich-text editor: type, format with the keyboard and the toolbar
    editor = page.locator("#id_description_editor")
    expect(page.locator("#id_description")).to_be_hidden()  # the textarea stays the submitted field
    editor.click()
    page.keyboard.type("Vi tränar ")
    page.keyboard.press("Control+i")
    page.keyboard.type("språkmodeller")
    page.keyboard.press("Control+i")
    page.keyboard.type(".")
    page.keyboard.press("Enter")
    page.click("[data-command=ul]")
    page.keyboard.type("Data")
    page.keyboard.press("Enter")
    page.keyboard.type("Kod")
    expect(page.locator("#id_description")).to_have_value(
        "<p>Vi tränar <em>språkmodeller</em>.</p><ul><li>Data</li><li>Kod</li></ul>"
    )
    page.fill("#licence-search", "apache")
    page.press("#licence-search", "Enter")
    expect(page.locator("#id_license")).to_have_value("Apache-2.0")
    page.click("button[name=action][value=save]")
    page.wait_for_load_state()
    shot(page, "1-saved-with-error")

    # the deliberate error is shown beside the ORCID field; the draft was kept as typed
    orcid_errors = page.locator("#id_creators-1-orcid_errors")
    expect(orcid_errors).to_contain_text("check digit")
    record = Record.objects.get()
    assert record.state == RecordState.DRAFT
    page.goto(f"{live_server.url}/records/{record.pk}/edit/")  # reload: the values are kept
    expect(page.locator("#id_title")).to_have_value("Språkmodeller för svenska myndighetstexter")
    expect(page.locator("#id_creators-1-family_name")).to_have_value("Öberg")
    expect(page.locator("#id_creators-1-affiliations-0-name")).to_have_value(
        "KTH Royal Institute of Technology"
    )
    expect(page.locator("#id_creators-1-orcid")).to_have_value("0000-0002-1694-2338")
    expect(page.locator("#id_license")).to_have_value("Apache-2.0")
    expect(page.locator("#id_description_editor em")).to_have_text("språkmodeller")
    expect(page.locator("#id_description_editor li")).to_have_count(2)
    assert record.metadata["description"] == (
        "<p>Vi tränar <em>språkmodeller</em>.</p><ul><li>Data</li><li>Kod</li></ul>"
    )

    page.fill("#id_creators-1-orcid", "0000-0002-1694-233X")
    page.click("button[name=action][value=publish]")
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Publish your upload")
    expect(page.locator(".notice")).to_contain_text("Publishing is permanent")
    shot(page, "2-review")
    page.click("#confirm-publish")  # without the declaration
    expect(page.locator(".errorlist")).to_contain_text("Accept the depositor's declaration")
    page.check("#id_declaration")
    page.click("#confirm-publish")
    page.wait_for_load_state()
    shot(page, "3-landing")

    record.refresh_from_db()
    assert record.state == RecordState.PUBLISHED
    assert page.url == f"{live_server.url}/records/{record.pk}/"
    expect(page.locator("#record-title")).to_have_text("Språkmodeller för svenska myndighetstexter")
    expect(page.locator(".doi")).to_have_text(record.doi)
    assert re.fullmatch(rf"10\.5072/[a-z0-9-]+\.{record.pk}", record.doi)
    expect(page.locator("#citation-apa")).to_contain_text("Depositor, E., & Öberg, L. (2024)")
    expect(page.locator("#citation-apa")).to_contain_text(record.doi)
    expect(page.locator(".creators")).to_contain_text("KTH Royal Institute of Technology")
    expect(page.locator("a.orcid")).to_have_attribute("href", "https://orcid.org/0000-0002-1694-233X")
    expect(page.locator(".description em")).to_have_text("språkmodeller")
    expect(page.locator(".description li")).to_have_count(2)

    # edit, discard once
    page.click("nav.owner-tools >> text=Edit")
    page.wait_for_load_state()
    page.fill("#id_title", "A title that will be discarded")
    page.click("button[name=action][value=save]")
    page.wait_for_load_state()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[form=discard-form]")
    page.wait_for_load_state()
    expect(page.locator("#record-title")).to_have_text("Språkmodeller för svenska myndighetstexter")

    # edit again and publish: a new revision
    page.click("nav.owner-tools >> text=Edit")
    page.wait_for_load_state()
    expect(page.locator("#id_title")).to_have_value("Språkmodeller för svenska myndighetstexter")
    page.fill("#id_title", "Stora språkmodeller för svenska myndighetstexter")
    page.click("button[name=action][value=publish]")
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Publish your changes")
    page.check("#id_declaration")
    page.click("#confirm-publish")
    page.wait_for_load_state()
    shot(page, "4-republished")
    expect(page.locator("#record-title")).to_have_text("Stora språkmodeller för svenska myndighetstexter")
    revisions = page.locator("#revision-list li")
    expect(revisions).to_have_count(2)
    expect(revisions.nth(1)).to_contain_text("Språkmodeller för svenska myndighetstexter")
    expect(revisions.nth(0)).to_contain_text("Stora språkmodeller")
    record.refresh_from_db()
    assert record.revisions.count() == 2 and record.doi.endswith(f".{record.pk}")
