"""OAI-PMH in a browser: the portal applies oaipmh/xsl/oai2.xsl itself when the Accept header prefers
HTML; harvesters (``*/*``, an XML type, no Accept) get the XML unchanged."""

from __future__ import annotations

import re

import pytest
from lxml import etree, html

from oaipmh.views import prefers_html

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (BROWSER, True),
        ("text/html", True),
        ("", False),
        ("*/*", False),
        ("text/xml", False),
        ("application/xml", False),
        ("text/html;q=0.5, text/xml", False),
        ("text/html;q=0, */*", False),
        ("application/json", False),
    ],
)
def test_who_prefers_html(accept, expected):
    assert prefers_html(accept) is expected


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
def test_browsers_get_a_page_with_links_between_verbs_and_harvesters_the_xml(client, publish_record):
    record = publish_record(title="Förklarbar AI i offentlig sektor")
    params = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    page_response = client.get("/oai2d", params, HTTP_ACCEPT=BROWSER)
    assert page_response.status_code == 200
    assert page_response["Content-Type"] == "text/html; charset=utf-8"
    assert "Accept" in page_response["Vary"]
    page = html.fromstring(body(page_response))
    assert page.findtext(".//h1") == "OAI-PMH ListRecords"
    links = {a.text_content(): a.get("href") for a in page.iter("a")}
    for verb in ("Identify", "ListMetadataFormats", "ListSets", "ListIdentifiers", "ListRecords"):
        assert f"verb={verb}" in links[verb]
    assert "Förklarbar AI i offentlig sektor" in page.text_content()
    assert any(
        "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:" in href and href.endswith(f":{record.pk}")
        for href in links.values()
    )

    # harvesters: the same XML as before, whatever they send
    plain = [
        body(client.get("/oai2d", params, **headers))
        for headers in ({}, {"HTTP_ACCEPT": "*/*"}, {"HTTP_ACCEPT": "text/xml"})
    ]
    stamp = re.compile(rb"<responseDate>[^<]*</responseDate>")
    assert len({stamp.sub(b"", xml) for xml in plain}) == 1
    root = etree.fromstring(plain[1])
    assert root.tag == "{http://www.openarchives.org/OAI/2.0/}OAI-PMH"
    assert client.get("/oai2d", params, HTTP_ACCEPT="*/*")["Content-Type"].startswith("text/xml")


@pytest.mark.django_db
def test_protocol_errors_and_identify_read_as_pages(client):
    error = html.fromstring(body(client.get("/oai2d", {"verb": "Nonsense"}, HTTP_ACCEPT=BROWSER)))
    assert "badVerb" in error.xpath("string(//*[@role='alert'])")
    identify = html.fromstring(body(client.get("/oai2d", {"verb": "Identify"}, HTTP_ACCEPT=BROWSER)))
    rows = {tr.findtext("th"): tr.findtext("td") for tr in identify.iter("tr")}
    assert rows["protocolVersion"] == "2.0"
    assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", rows["adminEmail"])
