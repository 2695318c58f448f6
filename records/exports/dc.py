"""Unqualified Dublin Core in the OAI-PMH ``oai_dc`` container, following the OpenAIRE guidelines.

OpenAIRE conventions used: ``dc:type`` carries an ``info:eu-repo/semantics/*`` publication type,
``dc:rights`` the ``info:eu-repo/semantics/*Access`` access right, ``dc:date`` an
``info:eu-repo/date/embargoEnd/*`` entry for embargoes, and ``dc:language`` ISO 639-3 codes.
"""

from __future__ import annotations

from lxml import etree

from records.resource_types import by_id

from .base import (
    ACCESS_RIGHT_URIS,
    THESIS_LEVELS,
    ExportRecord,
    as_export_record,
    community_url,
    related_identifier_text,
    thesis_level,
)
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
    root = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    for tag, text in [*_description(rec), *_dates_and_types(rec), *_relations(rec), *_rights(rec)]:
        if text:
            etree.SubElement(root, f"{{{DC_NS}}}{tag}").text = text
    return root


def _description(rec: ExportRecord) -> list[tuple[str, str]]:
    md = rec.metadata
    return [
        ("title", rec.title),
        *(("title", extra.get("title", "")) for extra in md.get("additional_titles") or []),
        *(("creator", creator.get("name", "")) for creator in rec.creators),
        *(("contributor", contributor.get("name", "")) for contributor in rec.contributors),
        *(("subject", keyword) for keyword in rec.keywords),
        *(("subject", subject.get("term", "")) for subject in md.get("subjects") or []),
        ("description", rec.description_text),
        ("description", md.get("notes", "")),
        ("publisher", rec.publisher),
    ]


def _dates_and_types(rec: ExportRecord) -> list[tuple[str, str]]:
    md = rec.metadata
    pairs = [("date", rec.publication_date or rec.year)]
    if rec.access_right == "embargoed" and md.get("embargo_date"):
        pairs.append(("date", "info:eu-repo/date/embargoEnd/" + md["embargo_date"]))
    level = thesis_level(md)
    eu_type = (
        "info:eu-repo/semantics/" + THESIS_LEVELS[level][1] if level else eu_repo_type(rec.resource_type_id)
    )
    pairs += [("type", eu_type), ("type", rec.resource_type_id)]
    pairs += [("format", mimetype) for mimetype in dict.fromkeys(f["mimetype"] for f in rec.files)]
    return pairs


def _relations(rec: ExportRecord) -> list[tuple[str, str]]:
    md = rec.metadata
    return [
        ("identifier", rec.doi_url),
        ("identifier", rec.landing_url),
        *(("language", language) for language in rec.languages),
        *(("relation", related_identifier_text(rel)) for rel in md.get("related_identifiers") or []),
        *(("relation", community_url(community["slug"])) for community in rec.communities),
        *(("relation", grant.get("award_uri", "")) for grant in md.get("funding") or []),
    ]


def _rights(rec: ExportRecord) -> list[tuple[str, str]]:
    pairs = [("rights", ACCESS_RIGHT_URIS[rec.access_right])]
    if rec.license:
        pairs += [("rights", rec.license["url"]), ("rights", rec.license["title"])]
    if rec.access_right == "restricted":
        pairs.append(("rights", rec.metadata.get("access_conditions", "")))
    return pairs


register(
    ExportFormat(
        name="dc",
        label="Dublin Core",
        media_type="application/xml",
        extension="xml",
        serialise=lambda record: to_oai_dc(record),
        kind=XML,
        order=30,
        oai=OaiMetadata("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS, order=10),
    )
)
