"""Fixtures for the OAI-PMH tests: records made through the record services, and a validating client."""

from __future__ import annotations

import itertools

import pytest
from lxml import etree

from records.exports.xsd import load_schema

OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {
    "oai": OAI,
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "datacite": "http://datacite.org/schema/kernel-4",
    "oai_datacite": "http://schema.datacite.org/oai/oai-1.1/",
    "marc": "http://www.loc.gov/MARC21/slim",
    "oaire": "http://namespace.openaire.eu/schema/oaire/",
}
REPOSITORY = "repository.example.org"
_titles = itertools.count(1)


@pytest.fixture(autouse=True)
def oai_settings(settings):
    settings.SITE_URL = "http://testserver"
    settings.OAI_REPOSITORY_IDENTIFIER = REPOSITORY
    settings.ADMIN_EMAIL = "oai-admin@repository.example.org"
    settings.OAI_PAGE_SIZE = 500
    return settings


def metadata(**overrides) -> dict:
    n = next(_titles)
    data = {
        "resource_type": {"type": "dataset"},
        "title": f"Dataset number {n} about machine learning",
        "publication_date": "2024-05-17",
        "creators": [{"name": "Öberg, Åsa", "affiliations": [{"name": "Stockholm University"}]}],
        "description": "<p>Training data for a <strong>Swedish</strong> language model.</p>",
        "access_right": "open",
        "license": "CC-BY-4.0",
        "keywords": ["machine learning"],
        "contact_email": "secret.contact@example.se",
    }
    data.update(overrides)
    return data


def sweep() -> int:
    """What beat does every ``OAI_RENDER_INTERVAL_SECONDS``: render the payloads that are missing or stale
    (tasks run eagerly in tests)."""
    from oaipmh.tasks import render_stale

    return render_stale()


@pytest.fixture
def publish_record(depositor, django_capture_on_commit_callbacks):
    """``publish_record(**metadata)`` → a record published through records.services (payload rendered)."""
    from records import services

    def make(owner=None, **overrides):
        with django_capture_on_commit_callbacks(execute=True):
            draft = services.create_draft(owner or depositor, metadata(**overrides))
            record = services.publish(draft, owner or depositor, declaration_accepted=True)
        sweep()
        return record

    return make


def edit_record(record, actor, capture, **changes):
    from records import services

    with capture(execute=True):
        services.open_edit(record, actor)
        record.refresh_from_db()
        services.update_metadata(record, actor, {**record.draft_metadata, **changes})
        record = services.publish(record, actor, declaration_accepted=True)
    sweep()
    return record


def withdraw_record(record, actor, capture, reason="Out of scope."):
    from records import services

    with capture(execute=True):
        record = services.withdraw(record, actor, reason)
    sweep()
    return record


def parse_and_validate(content: bytes) -> etree._Element:
    """Parse an OAI-PMH response and validate it, payloads included, against validate-all.xsd
    (validate-openaire.xsd for oai_openaire payloads)."""
    assert content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = etree.fromstring(content)
    # oai_openaire brings its own schemas for the DataCite and DC namespaces: a driver of its own
    openaire = root.find(f".//{{{NS['oaire']}}}resource") is not None
    schema = load_schema("all-openaire" if openaire else "all")
    assert schema.validate(root), [str(e) for e in schema.error_log][:5]
    assert root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        "http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
    )
    return root


@pytest.fixture
def oai(client):
    """``oai(verb=…, **args)`` → the parsed, schema-validated response root (GET, HTTP 200, text/xml).

    ``oai(method="post", …)`` sends a form-encoded POST instead.
    """

    def call(method="get", **params):
        response = client.post("/oai2d", params) if method == "post" else client.get("/oai2d", params)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/xml")
        content = b"".join(response.streaming_content) if response.streaming else response.content
        return parse_and_validate(content)

    return call


def error_codes(root) -> list[str]:
    return [e.get("code") for e in root.findall("oai:error", NS)]


def request_attributes(root) -> dict:
    return dict(root.find("oai:request", NS).attrib)


def identifiers(root) -> list[str]:
    return [h.findtext("oai:identifier", namespaces=NS) for h in root.iter(f"{{{OAI}}}header")]


def token_of(root):
    return root.find(".//oai:resumptionToken", NS)


def harvest(oai, verb="ListRecords", **args) -> tuple[list[etree._Element], list[etree._Element]]:
    """Follow resumption tokens to the end; returns (headers, pages)."""
    pages = [oai(verb=verb, **args)]
    while (token := token_of(pages[-1])) is not None and token.text:
        pages.append(oai(verb=verb, resumptionToken=token.text))
    headers = [h for page in pages for h in page.iter(f"{{{OAI}}}header")]
    return headers, pages


def include(record, community, owner, curator, capture):
    """Put a published record in a community the way users do: request, then a curator accepts."""
    from curation import services

    with capture(execute=True):
        request = services.request_inclusion(owner, record, community)
        request = services.accept(curator, request)
    sweep()
    return request


def remove_from(request, curator, capture, reason="Not about AI after all."):
    from curation import services

    with capture(execute=True):
        request = services.remove(curator, request, reason)
    sweep()
    return request
