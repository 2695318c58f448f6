"""The description's rich-text editor in Chromium: toolbar and keyboard, links, lists, paragraphs,
pasted markup, the HTML source view, and the plain textarea without JavaScript. The textarea is the
field that is submitted; the server sanitises what arrives (nh3)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from records import services
from records.models import Record
from tests.records.conftest import make_metadata

SOURCE = "#id_description"
EDITOR = "#id_description_editor"


def focused(page) -> str:
    return page.evaluate("document.activeElement.textContent.trim()")


@pytest.fixture
def form_page(login_page, live_server, depositor):
    page = login_page(depositor)
    page.goto(f"{live_server.url}/uploads/new/")
    return page


@pytest.mark.browser
def test_editor_is_an_accessible_textbox_with_a_keyboard_toolbar(form_page):
    page = form_page
    editor = page.locator(EDITOR)
    expect(editor).to_have_attribute("role", "textbox")
    expect(editor).to_have_attribute("aria-multiline", "true")
    expect(editor).to_have_attribute("contenteditable", "true")
    assert page.get_by_role("textbox", name="Description").count() == 1  # labelled by the field's label
    toolbar = page.get_by_role("toolbar", name="Text formatting")
    expect(toolbar).to_be_visible()
    # one tab stop in the toolbar: Tab from the toolbar reaches the text
    assert toolbar.locator("button[tabindex='0']").count() == 1
    page.click("label[for=id_description]")
    expect(editor).to_be_focused()
    page.keyboard.type("Plain words")
    page.keyboard.press("Alt+F10")
    assert focused(page) == "Bold"
    page.keyboard.press("ArrowRight")
    assert focused(page) == "Italic"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")  # wraps round
    assert focused(page) == "HTML source"
    page.keyboard.press("Home")
    assert focused(page) == "Bold"
    page.keyboard.press("Escape")
    expect(editor).to_be_focused()
    # select the second word with the keyboard and make it bold from the toolbar
    page.keyboard.press("End")
    for _ in range(len("words")):
        page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Alt+F10")
    page.keyboard.press("Enter")  # Bold
    expect(toolbar.locator("[data-command=bold]")).to_have_attribute("aria-pressed", "true")
    expect(editor).to_be_focused()
    expect(page.locator(SOURCE)).to_have_value("<p>Plain <strong>words</strong></p>")


@pytest.mark.browser
def test_links_lists_and_paragraphs(form_page):
    page = form_page
    page.click(EDITOR)
    page.keyboard.type("See ")
    page.keyboard.press("Control+k")
    link_input = page.locator("#id_description_link_url")
    expect(link_input).to_be_focused()
    link_input.fill("javascript:alert(1)")
    page.keyboard.press("Enter")
    expect(page.locator("#id_description_link_error")).to_be_visible()
    expect(link_input).to_have_attribute("aria-invalid", "true")
    link_input.fill("kth.se/ai")
    page.keyboard.press("Enter")
    expect(page.locator(EDITOR)).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Control+Shift+7")
    page.keyboard.type("one")
    page.keyboard.press("Enter")
    page.keyboard.type("two")
    page.click("[data-command=paragraph]")  # the second item becomes a paragraph again
    expect(page.locator(SOURCE)).to_have_value(
        '<p>See <a href="https://kth.se/ai">https://kth.se/ai</a></p><ol><li>one</li></ol><p>two</p>'
    )
    # editing an existing link: Escape cancels, "Remove link" unlinks
    page.locator(f"{EDITOR} a").click()
    page.keyboard.press("Control+k")
    expect(page.locator("#id_description_link_url")).to_have_value("https://kth.se/ai")
    page.keyboard.press("Escape")
    expect(page.locator(EDITOR)).to_be_focused()
    page.keyboard.press("Control+k")
    page.click("[data-link=remove]")
    expect(page.locator(f"{EDITOR} a")).to_have_count(0)
    expect(page.locator(SOURCE)).to_have_value("<p>See https://kth.se/ai</p><ol><li>one</li></ol><p>two</p>")


@pytest.mark.browser
def test_pasted_markup_is_cleaned_and_the_server_sanitises_again(form_page, live_server, depositor):
    page = form_page
    page.click(EDITOR)
    page.evaluate(
        """() => {
            const data = new DataTransfer();
            data.setData("text/html", '<p style="color:red" onclick="alert(1)">Pasted <b>bold</b>'
                + '<script>alert(2)<\\/script><img src=x onerror="alert(3)">'
                + '<a href="javascript:alert(4)">bad</a> <a href="https://ok.example/">good</a></p>');
            document.querySelector("#id_description_editor").dispatchEvent(
                new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }"""
    )
    value = page.locator(SOURCE).input_value()
    for bad in ("script", "onclick", "onerror", "javascript:", "<img", "style="):
        assert bad not in value, bad
    assert "<strong>bold</strong>" in value and '<a href="https://ok.example/">good</a>' in value
    # whatever reaches the server directly is sanitised there
    page.click("[data-source]")
    expect(page.locator(SOURCE)).to_be_visible()
    expect(page.locator(EDITOR)).to_be_hidden()
    page.fill(SOURCE, '<p>Typed <em>HTML</em><script>alert(5)</script><a href="javascript:x()">x</a></p>')
    page.fill("#id_title", "Rich text")
    page.click("button[name=action][value=save]")
    # the first change made the draft (the page's address changes then): wait for the save's answer
    page.locator("ul.messages").wait_for(timeout=60_000)
    description = Record.objects.get().metadata["description"]
    assert "script" not in description and "javascript:" not in description
    assert "<em>HTML</em>" in description
    # back in the editor after a reload: the sanitised text, formatted
    expect(page.locator(f"{EDITOR} em")).to_have_text("HTML")


@pytest.mark.browser
def test_stored_description_opens_in_the_editor_and_saves_unchanged(login_page, live_server, depositor):
    html = "<p>Speeches from the <strong>Riksdag</strong>.</p><ul><li>2010</li><li>2020</li></ul>"
    record = services.create_draft(depositor, make_metadata(description=html))
    page = login_page(depositor)
    page.goto(f"{live_server.url}/records/{record.pk}/edit/")
    expect(page.locator(f"{EDITOR} strong")).to_have_text("Riksdag")
    expect(page.locator(SOURCE)).to_have_value(html)
    page.click("button[name=action][value=save]")
    page.wait_for_load_state()
    record.refresh_from_db()
    assert record.metadata["description"] == html


@pytest.mark.browser
def test_without_javascript_the_textarea_takes_html(browser, live_server, depositor, password):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", depositor.username)
    page.fill("#id_password", password)
    page.click("form.card button[type=submit]")
    page.goto(f"{live_server.url}/uploads/new/")
    expect(page.locator(SOURCE)).to_be_visible()
    expect(page.locator(EDITOR)).to_have_count(0)
    page.fill("#id_title", "No script")
    page.fill(SOURCE, "<p>Works <strong>without</strong> scripts.</p>")
    page.click("button[name=action][value=save]")
    page.wait_for_load_state()
    assert Record.objects.get().metadata["description"] == "<p>Works <strong>without</strong> scripts.</p>"
    context.close()
