"""``/records/<id>/export/<format>``: content types, access to drafts, withdrawn records, bad formats."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from records.exports.xsd import validate
from tests.records.exports_fixture import CONTACT_EMAIL, EMAIL_PATTERN, all_fields, make_record

CONTENT_TYPES = {
    "json": "application/json",
    "datacite": "application/xml",
    "dc": "application/xml",
    "marcxml": "application/xml",
    "bibtex": "application/x-bibtex",
    "csl": "application/vnd.citationstyles.csl+json",
    "jsonld": "application/ld+json",
}


def url(record, fmt):
    return f"/records/{record.pk}/export/{fmt}"


@pytest.fixture
def record(depositor):
    return make_record(depositor)


@pytest.mark.parametrize("fmt", list(CONTENT_TYPES))
def test_each_format_is_served_with_its_content_type(client, record, fmt):
    response = client.get(url(record, fmt))
    assert response.status_code == 200
    assert response["Content-Type"] == f"{CONTENT_TYPES[fmt]}; charset=utf-8"
    body = response.content.decode("utf-8")
    assert "Ångströms lag för maskininlärning" in body
    assert CONTACT_EMAIL not in body
    assert EMAIL_PATTERN.findall(body) == []


@pytest.mark.parametrize("fmt,schema", [("datacite", "datacite"), ("dc", "oai_dc"), ("marcxml", "marcxml")])
def test_xml_formats_are_schema_valid_documents(client, record, fmt, schema):
    response = client.get(url(record, fmt))
    assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    ok, errors = validate(schema, etree.fromstring(response.content))
    assert ok, errors


def test_json_formats_parse(client, record):
    assert json.loads(client.get(url(record, "json")).content)["id"] == record.pk
    assert json.loads(client.get(url(record, "csl")).content)["DOI"] == record.doi
    assert json.loads(client.get(url(record, "jsonld")).content)["@context"] == "https://schema.org"
    assert client.get(url(record, "bibtex")).content.decode().startswith("@article{")


def test_unknown_format_is_404_naming_the_known_ones(client, record):
    response = client.get(url(record, "rdf"))
    assert response.status_code == 404
    body = response.content.decode()
    assert "rdf" in body
    for fmt in CONTENT_TYPES:
        assert fmt in body


def test_unknown_record_is_404(client, db):
    assert client.get("/records/987654/export/json").status_code == 404


def test_draft_is_404_to_anonymous_and_outsiders_but_shown_to_its_owner(
    client, client_for, depositor, outsider
):
    draft = make_record(depositor, state="draft")
    assert client.get(url(draft, "datacite")).status_code == 404
    assert client_for(outsider).get(url(draft, "datacite")).status_code == 404
    response = client_for(depositor).get(url(draft, "json"))
    assert response.status_code == 200
    assert json.loads(response.content)["state"] == "draft"


def test_staff_may_export_a_draft(client_for, depositor, staff):
    draft = make_record(depositor, state="draft")
    assert client_for(staff).get(url(draft, "dc")).status_code == 200


@pytest.mark.parametrize("fmt", list(CONTENT_TYPES))
def test_withdrawn_record_exports_are_gone(client, depositor, fmt):
    withdrawn = make_record(depositor, state="withdrawn")
    response = client.get(url(withdrawn, fmt))
    assert response.status_code == 410
    assert "Ångström" not in response.content.decode()


def test_exports_show_published_metadata_not_the_open_edit_draft(client, record):
    record.draft_metadata = {**record.metadata, "title": "Ännu ej publicerad titel"}
    record.save(update_fields=["draft_metadata"])
    body = client.get(url(record, "json")).content.decode()
    assert "Ännu ej publicerad titel" not in body
    assert "Ångströms lag för maskininlärning" in body


def test_only_get_and_head_are_allowed(client, record):
    assert client.post(url(record, "json")).status_code == 405
    assert client.head(url(record, "json")).status_code == 200


def test_record_deposited_through_the_services_exports_valid_xml(client, depositor):
    from records.services import create_draft, publish

    draft = create_draft(depositor, all_fields())
    record = publish(draft, depositor, declaration_accepted=True)
    assert record.doi
    for fmt, schema in [("datacite", "datacite"), ("dc", "oai_dc"), ("marcxml", "marcxml")]:
        response = client.get(url(record, fmt))
        assert response.status_code == 200
        ok, errors = validate(schema, etree.fromstring(response.content))
        assert ok, (fmt, errors)
        assert CONTACT_EMAIL not in response.content.decode()
    assert json.loads(client.get(url(record, "json")).content)["doi"] == record.doi
