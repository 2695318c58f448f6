"""Unqualified Dublin Core in the OAI-PMH ``oai_dc`` container, following the OpenAIRE guidelines.

OpenAIRE conventions used: ``dc:type`` carries an ``info:eu-repo/semantics/*`` publication type,
``dc:rights`` the ``info:eu-repo/semantics/*Access`` access right, ``dc:date`` an
``info:eu-repo/date/embargoEnd/*`` entry for embargoes, and ``dc:language`` ISO 639-3 codes.
"""

from __future__ import annotations

from lxml import etree

from records.resource_types import by_id

from .base import ACCESS_RIGHT_URIS, as_export_record, community_url, related_identifier_text
from .registry import XML, ExportFormat, OaiMetadata, register

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"

def eu_repo_type(type_id: str) -> str:
    """The OpenAIRE (info:eu-repo) type of a resource type id (the ``dc`` column of records.resource_types)."""
    return "info:eu-repo/semantics/" + by_id(type_id).dc


def to_oai_dc(record) -> etree._Element:
    """The record as an ``<oai_dc:dc>`` element (valid against oai_dc.xsd)."""
    rec = as_export_record(record)
    md = rec.metadata
    root = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)

    def dc(tag: str, text: str) -> None:
        if text:
            etree.SubElement(root, f"{{{DC_NS}}}{tag}").text = text

    dc("title", rec.title)
    for extra in md.get("additional_titles") or []:
        dc("title", extra.get("title", ""))
    for creator in rec.creators:
        dc("creator", creator.get("name", ""))
    for contributor in rec.contributors:
        dc("contributor", contributor.get("name", ""))
    for keyword in rec.keywords:
        dc("subject", keyword)
    for subject in md.get("subjects") or []:
        dc("subject", subject.get("term", ""))
    dc("description", rec.description_text)
    dc("description", md.get("notes", ""))
    dc("publisher", rec.publisher)
    dc("date", rec.publication_date or rec.year)
    if rec.access_right == "embargoed" and md.get("embargo_date"):
        dc("date", "info:eu-repo/date/embargoEnd/" + md["embargo_date"])
    dc("type", eu_repo_type(rec.resource_type_id))
    dc("type", rec.resource_type_id)
    for mimetype in dict.fromkeys(f["mimetype"] for f in rec.files):
        dc("format", mimetype)
    dc("identifier", rec.doi_url)
    dc("identifier", rec.landing_url)
    for language in rec.languages:
        dc("language", language)
    for rel in md.get("related_identifiers") or []:
        dc("relation", related_identifier_text(rel))
    for community in rec.communities:
        dc("relation", community_url(community["slug"]))
    for grant in md.get("funding") or []:
        dc("relation", grant.get("award_uri", ""))
    dc("rights", ACCESS_RIGHT_URIS[rec.access_right])
    licence = rec.license
    if licence:
        dc("rights", licence["url"])
        dc("rights", licence["title"])
    if rec.access_right == "restricted":
        dc("rights", md.get("access_conditions", ""))
    return root


register(
    ExportFormat(
        name="dc", label="Dublin Core", media_type="application/xml", extension="xml",
        serialise=lambda record: to_oai_dc(record), kind=XML, order=30,
        oai=OaiMetadata("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS, order=10),
    )
)  # fmt: skip
