"""The issue's browser test: upload from the Stockholm AI page, curation with checks and a conversation,
acceptance into the community page and its OAI-PMH set; a second record fails the affiliation check, is
declined with a reason, stays public, and is not on the community page."""

import re

import pytest
from django.core import mail

from curation.models import InclusionRequest
from records.models import CommunityRecord, Record

PASSWORD = "correct-horse-battery-staple"


def login(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_load_state()


def deposit_from_community_page(page, live_server, *, title: str, affiliation: str | None = None) -> Record:
    page.goto(f"{live_server.url}/communities/stockholm-ai/")
    page.click("#new-upload")
    page.wait_for_url(re.compile(r"/uploads/new/\?community=stockholm-ai"))
    assert page.is_checked("input[name=communities][value=stockholm-ai]")
    page.select_option("#id_resource_type", "publication")
    page.select_option("#id_publication_type", "article")
    page.fill("#id_title", title)
    page.fill("#id_publication_date", "2024-05-01")
    if affiliation is not None:
        page.fill("#id_creators-0-affiliations-0-name", affiliation)
    description = "We study how neural networks learn to predict the structure of proteins from sequences."
    editor = page.locator("#id_description_editor")  # the rich-text editor, when its script is on the page
    if editor.count():
        editor.click()
        page.keyboard.type(description)
    else:
        page.fill("#id_description", description)
    page.select_option("#id_languages", "eng")
    page.check("#id_access_right_0")
    page.select_option("#id_license", "CC-BY-4.0")
    page.click("button[name=action][value=publish]")
    page.wait_for_url(re.compile(r"/records/\d+/publish/"))
    page.check("input[name=declaration]")
    page.click("#confirm-publish")
    page.wait_for_url(re.compile(r"/records/\d+/$"))
    record_id = int(re.search(r"/records/(\d+)/", page.url).group(1))
    return Record.objects.get(pk=record_id)


@pytest.mark.browser
def test_upload_to_community_curation_conversation_and_decisions(
    live_server, page, depositor, curator, community
):
    curator_page = page.context.browser.new_context().new_page()
    login(page, live_server, depositor)
    login(curator_page, live_server, curator)

    # 1. The depositor starts an upload from the Stockholm AI page and publishes.
    record = deposit_from_community_page(
        page, live_server, title="Protein folding with graph neural networks"
    )
    assert record.is_published()
    req = InclusionRequest.objects.get(record=record, community=community)
    assert any(m.to == [curator.email] for m in mail.outbox)

    # 2. The curator sees the request with its checks in the queue, opens it and asks a question.
    curator_page.goto(f"{live_server.url}/")
    assert curator_page.inner_text("a[href='/communities/stockholm-ai/curation/'] .badge") == "1"
    curator_page.click("a[href='/communities/stockholm-ai/curation/']")
    item = curator_page.locator("article.queue-item", has_text=record.title)
    assert "Affiliation: pass" in item.inner_text()
    assert "Stockholm University" in item.inner_text()
    assert "Language: pass" in item.inner_text() and "Access and licence: pass" in item.inner_text()
    item.locator(f"a[href='/requests/{req.pk}/']").click()
    curator_page.fill("#id_body", "Which research group at Stockholm University is this from?")
    curator_page.click("#comment-form button[type=submit]")
    curator_page.wait_for_selector("text=Which research group")

    # 3. The depositor finds the question in the inbox and answers.
    page.goto(f"{live_server.url}/inbox/")
    page.click(f"text=Karin Kurator wrote about “{record.title}”")
    page.wait_for_url(re.compile(rf"/requests/{req.pk}/"))
    assert "Which research group at Stockholm University" in page.inner_text(".conversation")
    page.fill("#id_body", "The Department of Mathematics' machine learning group.")
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector("text=machine learning group")

    # 4. The curator sees the answer and accepts.
    curator_page.reload()
    assert "machine learning group" in curator_page.inner_text(".conversation")
    curator_page.click("#accept-button")
    curator_page.wait_for_selector("#request-state:has-text('Accepted')")

    # 5. The record is on the community page and in the community's OAI-PMH set.
    page.goto(f"{live_server.url}/communities/stockholm-ai/")
    assert page.locator(".community-record", has_text=record.title).count() == 1
    assert CommunityRecord.objects.current().filter(record=record, community=community).exists()
    oai = page.request.get(
        f"{live_server.url}/oai2d?verb=ListRecords&metadataPrefix=oai_dc&set=user-stockholm-ai"
    )
    assert oai.status == 200
    oai_body = oai.text()
    assert f":{record.pk}</identifier>" in oai_body
    assert "Protein folding with graph neural networks" in oai_body
    assert any(m.to == [depositor.email] and m.subject.startswith("Accepted into") for m in mail.outbox)

    # 6. A second record without a Stockholm affiliation fails the check and is declined with a reason.
    second = deposit_from_community_page(
        page, live_server, title="Sea ice forecasting with transformers", affiliation="University of Oslo"
    )
    second_req = InclusionRequest.objects.get(record=second, community=community)
    curator_page.goto(f"{live_server.url}/communities/stockholm-ai/curation/?checks=fail")
    item = curator_page.locator("article.queue-item", has_text=second.title)
    assert "Affiliation: fail" in item.inner_text()
    assert (
        "None of the affiliations (University of Oslo) is a registered Stockholm organisation."
        in item.inner_text()
    )
    item.locator(f"a[href='/requests/{second_req.pk}/']").click()
    curator_page.fill("#id_reason", "No author is affiliated with a Stockholm university or company.")
    curator_page.click("#decline-button")
    curator_page.wait_for_selector("#request-state:has-text('Declined')")

    # The owner sees the reason; the record stays public at its URL; it is not on the community page.
    page.goto(f"{live_server.url}/requests/{second_req.pk}/")
    assert "No author is affiliated with a Stockholm university or company." in page.inner_text(
        "#request-reason"
    )
    anonymous = page.context.browser.new_context().new_page()
    response = anonymous.goto(f"{live_server.url}/records/{second.pk}/")
    assert response.status == 200 and second.title in anonymous.inner_text("h1")
    anonymous.goto(f"{live_server.url}/communities/stockholm-ai/")
    assert anonymous.locator(".community-record", has_text=second.title).count() == 0
    assert anonymous.locator(".community-record", has_text=record.title).count() == 1
    oai_body = page.request.get(
        f"{live_server.url}/oai2d?verb=ListIdentifiers&metadataPrefix=oai_dc&set=user-stockholm-ai"
    ).text()
    assert f":{second.pk}</identifier>" not in oai_body and f":{record.pk}</identifier>" in oai_body
