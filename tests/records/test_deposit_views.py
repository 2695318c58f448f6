"""Deposit and edit in the browser (server side): the form, errors beside fields, publish, edit drafts."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from records import services
from records.models import Record, RecordState

FORM = {
    "action": "save",
    "resource_type": "publication",
    "publication_type": "article",
    "title": "Kvantifiering av osäkerhet i djupinlärning",
    "publication_date": "2024-03-01",
    "creators-0-type": "personal",
    "creators-0-family_name": "Lindqvist",
    "creators-0-given_name": "Åsa",
    "creators-0-orcid": "0000-0002-1825-0097",
    "creators-0-affiliations-0-name": "KTH Royal Institute of Technology",
    "creators-0-affiliations-0-ror": "026vcq606",
    "creators-3-type": "personal",
    "creators-3-family_name": "Smith",
    "creators-3-given_name": "John",
    "creators-3-affiliations-0-name": "University of Oxford",
    "description": "<p>Uncertainty <em>matters</em>.</p><script>alert(1)</script>",
    "languages": ["swe", "eng"],
    "keywords": "uncertainty\nBayesian deep learning",
    "access_right": "open",
    "license": "CC-BY-4.0",
    "contact_email": "private.person@example.se",
    "related_identifiers-0-identifier": "https://doi.org/10.1234/abc.1",
    "related_identifiers-0-scheme": "doi",
    "related_identifiers-0-relation": "IsSupplementTo",
}


@pytest.fixture
def depositor_client(client_for, depositor):
    return client_for(depositor)


def post_new(client, **changes):
    data = {**FORM, **changes}
    return client.post(reverse("records:new_upload"), data)


def test_new_upload_form_renders_with_the_users_name_and_community(depositor_client, depositor, community):
    depositor.orcid = "0000-0002-1825-0097"
    depositor.save()
    response = depositor_client.get(reverse("records:new_upload") + "?community=stockholm-ai")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="creators-0-family_name" value="Depositor"' in body
    assert 'value="Stockholm University"' in body
    assert re.search(r'value="stockholm-ai"[^>]*checked', body)
    assert 'id="tpl-creators"' in body and "deposit.js" in body


def test_new_upload_requires_login(client):
    response = client.get(reverse("records:new_upload"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_saving_creates_a_draft_with_rows_in_submitted_order(depositor_client, depositor):
    response = post_new(depositor_client)
    record = Record.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("records:edit", args=[record.pk])
    meta = record.metadata
    assert record.state == RecordState.DRAFT and record.owner == depositor
    assert [c["name"] for c in meta["creators"]] == ["Lindqvist, Åsa", "Smith, John"]
    assert meta["creators"][0]["affiliations"] == [
        {"name": "KTH Royal Institute of Technology", "ror": "https://ror.org/026vcq606"}
    ]
    assert meta["resource_type"] == {"type": "publication", "subtype": "article"}
    assert meta["keywords"] == ["uncertainty", "Bayesian deep learning"]
    assert meta["languages"] == ["swe", "eng"]
    assert "script" not in meta["description"] and "<em>matters</em>" in meta["description"]
    assert meta["related_identifiers"][0]["identifier"] == "10.1234/abc.1"
    assert meta["contact_email"] == "private.person@example.se"


def test_reordered_rows_keep_the_page_order(depositor_client):
    data = {k: v for k, v in FORM.items() if not k.startswith("creators-")}
    # the browser sends rows in page order: row 5 was moved above row 2
    ordered = [
        ("creators-5-family_name", "Zetterberg"),
        ("creators-5-given_name", "Zoe"),
        ("creators-2-family_name", "Andersson"),
        ("creators-2-given_name", "Anna"),
    ]
    from django.test.client import encode_multipart  # noqa: F401

    body = "&".join(
        f"{k}={v}" for k, v in list(ordered) + [(k, v) for k, v in data.items() if not isinstance(v, list)]
    )
    depositor_client.post(
        reverse("records:new_upload"), body, content_type="application/x-www-form-urlencoded"
    )
    assert [c["family_name"] for c in Record.objects.get().metadata["creators"]] == [
        "Zetterberg",
        "Andersson",
    ]


def test_errors_show_beside_fields_and_the_draft_keeps_what_was_typed(depositor_client):
    response = post_new(
        depositor_client,
        **{
            "creators-3-orcid": "0000-0002-1825-0098",
            "publication_date": "2026-02-30",
            "license": "NOT-A-LICENCE",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    record = Record.objects.get()
    assert record.metadata["publication_date"] == "2026-02-30"  # kept as typed
    assert record.metadata["creators"][1]["orcid"] == "0000-0002-1825-0098"
    assert re.search(r'id="id_creators-1-orcid_errors"[^>]*>\s*<li>[^<]*check digit', body)
    assert re.search(r'id="id_publication_date_errors"[^>]*>\s*<li>[^<]*calendar', body)
    assert "NOT-A-LICENCE" in body and 'id="id_license_errors"' in body
    assert 'value="0000-0002-1825-0098"' in body
    # the page was re-rendered for the saved draft: the next save updates it
    assert f'action="{reverse("records:edit", args=[record.pk])}"' in body


def test_past_embargo_is_a_field_error(depositor_client):
    response = post_new(depositor_client, access_right="embargoed", embargo_date="2001-01-01")
    assert response.status_code == 200
    assert re.search(r'id="id_embargo_date_errors"[^>]*>\s*<li>[^<]*future', response.content.decode())


def test_publish_needs_a_complete_record_then_the_declaration(depositor_client):
    post_new(depositor_client, title="")
    record = Record.objects.get()
    response = depositor_client.get(reverse("records:publish", args=[record.pk]))
    assert response.status_code == 200
    assert re.search(r'id="id_title_errors"[^>]*>\s*<li>', response.content.decode())
    depositor_client.post(reverse("records:edit", args=[record.pk]), FORM)
    response = depositor_client.get(reverse("records:publish", args=[record.pk]))
    assert "Publishing is permanent" in response.content.decode()
    response = depositor_client.post(reverse("records:publish", args=[record.pk]), {})
    assert response.status_code == 400
    assert "Accept the depositor" in response.content.decode()
    record.refresh_from_db()
    assert record.state == RecordState.DRAFT
    response = depositor_client.post(reverse("records:publish", args=[record.pk]), {"declaration": "on"})
    record.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == record.get_absolute_url()
    assert record.state == RecordState.PUBLISHED and record.doi


def test_save_and_publish_button_goes_to_the_review_page(depositor_client):
    response = post_new(depositor_client, action="publish")
    record = Record.objects.get()
    assert response["Location"] == reverse("records:publish", args=[record.pk])


def test_someone_elses_draft_is_404_everywhere(client_for, depositor, outsider, valid_metadata, client):
    record = services.create_draft(depositor, valid_metadata)
    other = client_for(outsider)
    for name in ("detail", "edit", "publish", "owners"):
        assert other.get(reverse(f"records:{name}", args=[record.pk])).status_code == 404, name
        assert client.get(reverse(f"records:{name}", args=[record.pk])).status_code in (302, 404), name
    assert other.post(reverse("records:discard", args=[record.pk])).status_code == 404
    assert other.post(reverse("records:edit", args=[record.pk]), FORM).status_code == 404
    assert client.get(reverse("records:detail", args=[record.pk])).status_code == 404
    record.refresh_from_db()
    assert record.metadata["title"] == valid_metadata["title"]


def test_edit_published_record_then_discard_and_publish(client_for, depositor, published, valid_metadata):
    c = client_for(depositor)
    edit_url = reverse("records:edit", args=[published.pk])
    response = c.get(edit_url)
    assert response.status_code == 200 and "edit draft" in response.content.decode()
    published.refresh_from_db()
    assert published.has_edit_draft()
    data = {**FORM, "title": "Discarded title"}
    c.post(edit_url, data)
    assert c.get(published.get_absolute_url()).content.decode().count("Discarded title") == 0
    c.post(reverse("records:discard", args=[published.pk]))
    published.refresh_from_db()
    assert not published.has_edit_draft()
    c.get(edit_url)
    c.post(edit_url, {**FORM, "title": "The new title"})
    response = c.post(reverse("records:publish", args=[published.pk]), {"declaration": "on"})
    assert response.status_code == 302
    body = c.get(published.get_absolute_url()).content.decode()
    assert "The new title" in body
    assert re.search(
        r'id="revision-list".*Revision 1</a>: “' + re.escape(valid_metadata["title"]), body, re.S
    )
    assert "Revision 2" in body


def test_uploads_lists_drafts_edit_drafts_and_published(
    client_for, depositor, published, valid_metadata, django_assert_max_num_queries
):
    services.create_draft(depositor, {"title": "My unfinished draft"})
    services.open_edit(published, depositor)
    c = client_for(depositor)
    with django_assert_max_num_queries(12):
        body = c.get(reverse("records:uploads")).content.decode()
    assert "My unfinished draft" in body
    assert body.count(valid_metadata["title"]) >= 2  # under edit drafts and published


def test_delete_draft_from_the_form(client_for, depositor):
    record = services.create_draft(depositor, {"title": "Throw away"})
    response = client_for(depositor).post(reverse("records:discard", args=[record.pk]))
    assert response.status_code == 302 and not Record.objects.filter(pk=record.pk).exists()


def test_thesis_level_is_offered_and_saved(depositor_client):
    body = depositor_client.get(reverse("records:new_upload")).content.decode()
    assert 'name="thesis_level"' in body and '<option value="master">' in body
    assert 'name="journal_title"' in body and 'name="conference_dates"' in body
    post_new(depositor_client, publication_type="thesis", thesis_level="master", journal_title="Acta AI")
    assert Record.objects.get().metadata["thesis_level"] == "master"
    assert Record.objects.get().metadata["journal_title"] == "Acta AI"
