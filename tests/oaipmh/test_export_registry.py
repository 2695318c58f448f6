"""A format registered in one place (``records.exports.registry``) is offered everywhere formats are listed."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from lxml import etree, html

from records.exports import registry
from records.exports.base import as_export_record
from tests.oaipmh.conftest import NS, REPOSITORY

TITLE_NS = "urn:example:title-only"


def oai_body(client, **params) -> bytes:
    response = client.get("/oai2d", params)
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def to_title_only(record) -> etree._Element:
    root = etree.Element(f"{{{TITLE_NS}}}record", nsmap={None: TITLE_NS})
    etree.SubElement(root, f"{{{TITLE_NS}}}title").text = as_export_record(record).title
    return root


@pytest.fixture
def title_only():
    fmt = registry.register(
        registry.ExportFormat(
            name="titleonly",
            label="Title only",
            media_type="application/xml",
            extension="xml",
            serialise=to_title_only,
            oai=registry.OaiMetadata("title_only", "https://example.org/title-only.xsd", TITLE_NS),
        )
    )
    yield fmt
    registry.unregister(fmt.name)


def test_builtin_formats_in_their_orders():
    assert list(registry.export_formats()) == [
        "json",
        "datacite",
        "dc",
        "marcxml",
        "bibtex",
        "csl",
        "jsonld",
        "croissant",  # this and the next two: aitools
        "hf-card",
        "cff",
        "openaire",  # order 80, after aitools' 75-77
    ]
    assert list(registry.oai_formats()) == ["oai_dc", "oai_datacite", "oai_openaire", "datacite", "marcxml"]


def test_a_name_or_prefix_is_registered_once():
    datacite = registry.export_formats()["datacite"]
    with pytest.raises(ValueError):
        registry.register(datacite)
    with pytest.raises(ValueError):
        registry.register(
            registry.ExportFormat("other", "Other", "application/xml", "xml", to_title_only, oai=datacite.oai)
        )


@pytest.mark.django_db
def test_a_registered_format_is_linked_served_and_harvestable(client, publish_record, title_only):
    record = publish_record(title="Registered in one place")
    url = reverse("record-export", args=[record.pk, "titleonly"])

    page = html.fromstring(client.get(record.get_absolute_url()).content)
    links = page.xpath("//section[@aria-labelledby='export-heading']//a")
    assert ("Title only", url) in [(a.text_content().strip(), a.get("href")) for a in links]

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Content-Disposition"] == f'inline; filename="record-{record.pk}.xml"'
    assert etree.fromstring(response.content).findtext(f"{{{TITLE_NS}}}title") == "Registered in one place"

    exports = json.loads(client.get(reverse("record-export", args=[record.pk, "json"])).content)["links"][
        "exports"
    ]
    assert exports["titleonly"].endswith(url)

    formats = etree.fromstring(oai_body(client, verb="ListMetadataFormats"))
    assert [
        f.findtext("oai:metadataPrefix", namespaces=NS) for f in formats.iterfind(".//oai:metadataFormat", NS)
    ] == ["oai_dc", "oai_datacite", "oai_openaire", "datacite", "marcxml", "title_only"]

    body = oai_body(
        client, verb="GetRecord", metadataPrefix="title_only", identifier=f"oai:{REPOSITORY}:{record.pk}"
    )
    payload = etree.fromstring(body).find(".//oai:metadata", NS)[0]
    assert payload.tag == f"{{{TITLE_NS}}}record"
    assert payload.findtext(f"{{{TITLE_NS}}}title") == "Registered in one place"


@pytest.mark.django_db
def test_an_unregistered_format_is_gone_everywhere(client, publish_record, title_only):
    registry.unregister(title_only.name)
    record = publish_record()
    assert client.get(reverse("record-export", args=[record.pk, "titleonly"])).status_code == 404
    assert b"title_only" not in oai_body(client, verb="ListMetadataFormats")
