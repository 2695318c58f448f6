"""The issue's "Bad input" list, case by case, through the deposit form: each gives a message beside
its field, the draft (or edit draft) keeps the value as typed, and the page shows it again."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from lxml import html

from records import services
from records.models import Record
from tests.records.test_deposit_views import FORM

CASES: dict[str, Any] = {
    # name: (form changes, error field id, message fragment, metadata path, value kept)
    "invalid_orcid": (
        {"creators-3-orcid": "0000-0002-1825-0098"},
        "id_creators-1-orcid",
        "check digit",
        ("creators", 1, "orcid"),
        "0000-0002-1825-0098",
    ),
    "malformed_orcid": (
        {"creators-0-orcid": "1234"},
        "id_creators-0-orcid",
        "ORCID",
        ("creators", 0, "orcid"),
        "1234",
    ),
    "unknown_licence": (
        {"license": "NOT-A-LICENCE"},
        "id_license",
        "not a licence",
        ("license",),
        "NOT-A-LICENCE",
    ),
    "past_embargo": (
        {"access_right": "embargoed", "embargo_date": "2001-01-01"},
        "id_embargo_date",
        "future",
        ("embargo_date",),
        "2001-01-01",
    ),
    "impossible_date": (
        {"publication_date": "2026-02-30"},
        "id_publication_date",
        "calendar",
        ("publication_date",),
        "2026-02-30",
    ),
    "malformed_date": (
        {"publication_date": "30/02/2026"},
        "id_publication_date",
        "YYYY",
        ("publication_date",),
        "30/02/2026",
    ),
    "invalid_ror": (
        {"creators-0-affiliations-0-ror": "026vcq607"},
        "id_creators-0-affiliations-0-ror",
        "checksum",
        ("creators", 0, "affiliations", 0, "ror"),
        "026vcq607",
    ),
    "invalid_related_doi": (
        {"related_identifiers-0-identifier": "not a doi"},
        "id_related_identifiers-0-identifier",
        "DOI",
        ("related_identifiers", 0, "identifier"),
        "not a doi",
    ),
    "invalid_language": (
        {"languages": ["eng", "xx1"]},
        "id_languages",
        "ISO 639-3",
        ("languages",),
        ["eng", "xx1"],
    ),
    "title_too_long": (
        {"title": "Lång titel " * 300 + "slut"},
        "id_title",
        "at most 1000",
        ("title",),
        "Lång titel " * 300 + "slut",
    ),
    "invalid_contact_email": (
        {"contact_email": "not-an-address"},
        "id_contact_email",
        "e-mail",
        ("contact_email",),
        "not-an-address",
    ),
}


def dig(metadata, path):
    for part in path:
        metadata = metadata[part]
    return metadata


def field_errors(body: str, field_id: str) -> str:
    page = html.fromstring(body)
    found: Any = page.xpath(f'//*[@id="{field_id}_errors"]')
    return found[0].text_content() if found else ""


def check_page(body: str, field_id: str, fragment: str, kept) -> None:
    assert fragment.lower() in field_errors(body, field_id).lower(), field_id
    page = html.fromstring(body)
    control: Any = page.xpath(f'//*[@id="{field_id}"]')
    if isinstance(kept, list):  # a multiple select: every typed code is still chosen
        assert control, field_id
        selected = control[0].xpath(".//option[@selected]/@value")
        assert set(kept) <= set(selected), (kept, selected)
    elif control and control[0].tag == "select":
        assert control[0].xpath(".//option[@selected]/@value") == [kept]
    else:
        assert control and control[0].get("value") == kept, field_id
    assert page.xpath('//*[@id="error-summary"]')


@pytest.fixture
def owner_client(client_for, depositor):
    return client_for(depositor)


@pytest.mark.parametrize("case", CASES)
def test_bad_input_in_a_new_upload(owner_client, case):
    changes, field_id, fragment, path, kept = CASES[case]
    response = owner_client.post(reverse("records:new_upload"), {**FORM, **changes})
    assert response.status_code == 200
    record = Record.objects.get()
    assert dig(record.metadata, path) == kept  # the draft keeps it as typed
    check_page(response.content.decode(), field_id, fragment, kept)
    # and opening the draft later shows the same value (with the error once publishing is tried)
    body = owner_client.get(reverse("records:publish", args=[record.pk])).content.decode()
    check_page(body, field_id, fragment, kept)


@pytest.mark.parametrize("case", CASES)
def test_bad_input_in_an_edit_draft(owner_client, depositor, case):
    changes, field_id, fragment, path, kept = CASES[case]
    owner_client.post(reverse("records:new_upload"), FORM)
    record = Record.objects.get()
    services.publish(record, depositor, declaration_accepted=True)
    published = dict(Record.objects.get().metadata)
    response = owner_client.post(reverse("records:edit", args=[record.pk]), {**FORM, **changes})
    assert response.status_code == 200
    record.refresh_from_db()
    assert dig(record.draft_metadata, path) == kept
    assert record.metadata == published  # the public record is untouched
    check_page(response.content.decode(), field_id, fragment, kept)


def test_html_in_every_text_field_is_sanitised(owner_client):
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    data = {
        **FORM,
        "title": "Title " + evil,
        "keywords": "kw " + evil,
        "version": "v1" + evil,
        "notes": "Note " + evil,
        "creators-0-given_name": "Åsa" + evil,
        "creators-0-affiliations-0-name": "KTH" + evil,
        "related_identifiers-0-identifier": "10.1234/x" + evil,
        "description": '<p onclick="x()">Text <a href="javascript:alert(1)">link</a></p>' + evil,
    }
    response = owner_client.post(reverse("records:new_upload"), data)
    assert response.status_code in (200, 302)
    meta = Record.objects.get().metadata
    flat = repr(meta)
    for bad in ("<script", "onerror", "onclick", "javascript:", "<img"):
        assert bad not in flat, bad
    assert meta["title"].startswith("Title") and meta["notes"].startswith("Note")
    assert "<p>Text <a" in meta["description"]


def test_nul_characters_never_cause_a_server_error(owner_client):
    # Issue #10 changed this deliberately: NUL was dropped and the draft saved; now a NUL (or another
    # control character) in a form value is a 400 naming the field, and nothing is saved.
    data = {**FORM, "creators-0-given_name": "Å\x00sa", "description": "<p>a\x00b</p>", "keywords": "k\x00"}
    response = owner_client.post(reverse("records:new_upload"), data)
    assert response.status_code == 400
    assert "contains NUL or other control characters" in response.content.decode()
    assert not Record.objects.exists()
    data = {**FORM, "description": "<p>Line one\r\nline\ttwo</p>"}  # text areas send these: kept
    assert owner_client.post(reverse("records:new_upload"), data).status_code in (200, 302)
    assert Record.objects.get().metadata["description"].startswith("<p>Line one")


def test_someone_elses_edit_draft_is_404(client_for, owner_client, depositor, outsider, staff):
    owner_client.post(reverse("records:new_upload"), FORM)
    record = Record.objects.get()
    services.publish(record, depositor, declaration_accepted=True)
    services.open_edit(record, depositor)
    services.update_metadata(record, depositor, {**record.metadata, "title": "Secret staged title"})
    other = client_for(outsider)
    for name in ("edit", "publish", "owners"):
        assert other.get(reverse(f"records:{name}", args=[record.pk])).status_code == 404, name
    assert other.post(reverse("records:edit", args=[record.pk]), FORM).status_code == 404
    assert other.post(reverse("records:discard", args=[record.pk])).status_code == 404
    assert other.get(reverse("records:revision", args=[record.pk, 1])).status_code == 404
    public = other.get(record.get_absolute_url()).content.decode()
    assert "Secret staged title" not in public
    record.refresh_from_db()
    assert (record.draft_metadata or {})["title"] == "Secret staged title"
    assert re.search(
        "Secret staged title",
        client_for(staff).get(reverse("records:edit", args=[record.pk])).content.decode(),
    )
