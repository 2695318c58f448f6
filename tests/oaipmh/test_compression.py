"""gzip for harvesters that ask for it (#19), declared in Identify's ``<compression>``."""

from __future__ import annotations

import gzip
import re

import pytest

from tests.oaipmh.conftest import NS, identifiers, parse_and_validate

RESPONSE_DATE = re.compile(rb"<responseDate>[^<]*</responseDate>")


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _same_moment(xml: bytes) -> bytes:
    return RESPONSE_DATE.sub(b"<responseDate/>", xml)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"verb": "Identify"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc"},
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_datacite"},
        {"verb": "ListRecords", "metadataPrefix": "nonsense"},  # an error response too
    ],
)
def test_gzip_when_asked_and_the_same_document(client, publish_record, params):
    records = [publish_record() for _ in range(3)]
    plain = client.get("/oai2d", params)
    packed = client.get("/oai2d", params, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert plain.status_code == packed.status_code == 200
    assert not plain.has_header("Content-Encoding")
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"] and "Accept" in packed["Vary"]
    assert packed["Content-Type"] == plain["Content-Type"] == "text/xml; charset=utf-8"
    plain_xml, packed_bytes = _body(plain), _body(packed)
    assert packed_bytes[:2] == b"\x1f\x8b"  # a gzip member, not the XML itself
    unpacked = gzip.decompress(packed_bytes)
    assert _same_moment(unpacked) == _same_moment(plain_xml)
    root = parse_and_validate(unpacked)
    if params["verb"] == "Identify":
        assert root.findtext("oai:Identify/oai:compression", namespaces=NS) == "gzip"
    elif params["metadataPrefix"] != "nonsense":
        assert len(identifiers(root)) == len(records)


@pytest.mark.django_db
def test_no_gzip_for_a_client_that_does_not_ask(client):
    response = client.get("/oai2d", {"verb": "Identify"}, HTTP_ACCEPT_ENCODING="identity")
    assert not response.has_header("Content-Encoding")
    root = parse_and_validate(_body(response))
    assert root.findtext("oai:Identify/oai:compression", namespaces=NS) == "gzip"
