"""DataCite Metadata Schema kernel 4.7 (``to_datacite``) and its OAI-PMH wrapper (``to_oai_datacite``).

Mapped per the DataCite schema documentation and the OpenAIRE Guidelines for Data Archives: access
rights as ``info:eu-repo/semantics/*`` rights beside the licence (with its SPDX identifier), an
embargo as its ``Accepted`` (start) and ``Available`` (end) dates, an EC grant's
``info:eu-repo/grantAgreement/…`` id as its award URI, a thesis's level in its type, and the
``datacentreSymbol`` from ``DATACITE_DATACENTRE_SYMBOL``.
"""

from __future__ import annotations

import re

from django.conf import settings
from lxml import etree

from identifiers import bare_doi, orcid_url, ror_url
from records.resource_types import RESOURCE_TYPES, by_id

from .base import (
    ACCESS_RIGHT_LABELS,
    ACCESS_RIGHT_URIS,
    ExportRecord,
    as_export_record,
    community_url,
    embargo_start,
    language_bcp47,
    resource_type_label,
)
from .registry import XML, ExportFormat, OaiMetadata, register

NS = "http://datacite.org/schema/kernel-4"
SCHEMA_LOCATION = "http://datacite.org/schema/kernel-4 http://schema.datacite.org/meta/kernel-4/metadata.xsd"
SCHEMA_VERSION = "4.7"
OAI_NS = "http://schema.datacite.org/oai/oai-1.1/"
OAI_SCHEMA_LOCATION = f"{OAI_NS} http://schema.datacite.org/oai/oai-1.1/oai.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# DataCite resourceTypeGeneral by resource type id (the column of records.resource_types).
RESOURCE_TYPE_GENERAL = {row.id: row.datacite for row in RESOURCE_TYPES}

RELATED_IDENTIFIER_TYPES = {
    "doi": "DOI",
    "url": "URL",
    "arxiv": "arXiv",
    "handle": "Handle",
    "isbn": "ISBN",
    "issn": "ISSN",
    "pmid": "PMID",
    "ark": "ARK",
    "urn": "URN",
    "ean13": "EAN13",
    "lsid": "LSID",
    "purl": "PURL",
    "w3id": "w3id",
    "swh": "SWHID",
    "ads": "bibcode",
    "bibcode": "bibcode",
}

TITLE_TYPES = {
    "alternative-title": "AlternativeTitle",
    "subtitle": "Subtitle",
    "translated-title": "TranslatedTitle",
    "other": "Other",
}


def resource_type_general(type_id: str) -> str:
    """DataCite ``resourceTypeGeneral`` for a resource type id (``image-photo`` → ``Image``)."""
    return by_id(type_id).datacite


def _sub(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NS}}}{tag}")
    for key, value in attrs.items():
        if value not in (None, ""):
            el.set(XML_LANG if key == "lang" else key, value)
    if text is not None:
        el.text = text
    return el


def to_datacite(record) -> etree._Element:
    """The record as a DataCite kernel-4 ``<resource>`` element (schema version 4.7)."""
    rec = as_export_record(record)
    md = rec.metadata
    root = etree.Element(f"{{{NS}}}resource", nsmap={None: NS, "xsi": XSI})  # type: ignore[dict-item]  # lxml-stubs: a None key (the default namespace) is valid
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)

    if rec.doi:
        _sub(root, "identifier", rec.doi, identifierType="DOI")
    else:  # a draft has no DOI yet; the schema still requires an identifier
        _sub(root, "identifier", rec.landing_url, identifierType="URL")
    _people(root, "creators", "creator", rec.creators)
    _titles(root, rec)
    _sub(root, "publisher", rec.publisher)
    _sub(root, "publicationYear", rec.year)
    _sub(
        root,
        "resourceType",
        resource_type_label(md),
        resourceTypeGeneral=resource_type_general(rec.resource_type_id),
    )
    _subjects(root, rec)
    if rec.contributors:
        _people(root, "contributors", "contributor", rec.contributors)
    _dates(root, rec)
    if rec.languages:
        _sub(root, "language", language_bcp47(rec.languages[0]))
    if rec.doi:
        alternates = _sub(root, "alternateIdentifiers")
        _sub(alternates, "alternateIdentifier", rec.landing_url, alternateIdentifierType="URL")
    _related(root, rec)
    if rec.files:
        sizes = _sub(root, "sizes")
        _sub(sizes, "size", f"{sum(f['size'] for f in rec.files)} bytes")
        _sub(sizes, "size", f"{len(rec.files)} files" if len(rec.files) != 1 else "1 file")
        formats = _sub(root, "formats")
        for mimetype in dict.fromkeys(f["mimetype"] for f in rec.files if f["mimetype"]):
            _sub(formats, "format", mimetype)
    if md.get("version"):
        _sub(root, "version", md["version"])
    _rights(root, rec)
    _descriptions(root, rec)
    _funding(root, rec)
    return root


def to_oai_datacite(record) -> etree._Element:
    """``to_datacite`` inside the oai_datacite 1.1 wrapper (OpenAIRE's ``oai_datacite`` prefix)."""
    root = etree.Element(f"{{{OAI_NS}}}oai_datacite", nsmap={None: OAI_NS, "xsi": XSI})  # type: ignore[dict-item]  # lxml-stubs: a None key (the default namespace) is valid
    root.set(f"{{{XSI}}}schemaLocation", OAI_SCHEMA_LOCATION)
    etree.SubElement(root, f"{{{OAI_NS}}}schemaVersion").text = SCHEMA_VERSION
    etree.SubElement(root, f"{{{OAI_NS}}}datacentreSymbol").text = datacentre_symbol()
    etree.SubElement(root, f"{{{OAI_NS}}}payload").append(to_datacite(record))
    return root


def datacentre_symbol() -> str:
    """The DataCite datacentre (repository) symbol, e.g. ``CERN.ZENODO``: ``DATACITE_DATACENTRE_SYMBOL``."""
    return settings.DATACITE_DATACENTRE_SYMBOL


# Funders OpenAIRE knows, by ROR id and by name → their short name in info:eu-repo grant agreement ids.
EU_REPO_FUNDERS_BY_ROR = {"00k4n6c32": "EC"}
EU_REPO_FUNDERS_BY_NAME = {"european commission": "EC"}
GRANT_AGREEMENT_PREFIX = "info:eu-repo/grantAgreement/"


def ec_programme(award_number: str) -> str:
    """The EC framework programme of a grant agreement number: 9 digits from 101… Horizon Europe
    (a late H2020 grant shares the range; OpenAIRE matches on funder and number), 6 digits from
    633000 H2020, below FP7; "" when it is not an EC grant number."""
    if re.fullmatch(r"101\d{6}", award_number):
        return "HE"
    if re.fullmatch(r"\d{6}", award_number):
        return "H2020" if int(award_number) >= 633000 else "FP7"
    return ""


def grant_agreement(grant: dict) -> str:
    """``info:eu-repo/grantAgreement/<funder>/<programme>/<number>/`` for a grant of a funder OpenAIRE
    knows (the award URI as given when it already is one), else ``""``."""
    given = grant.get("award_uri") or ""
    if given.startswith(GRANT_AGREEMENT_PREFIX):
        return given
    funder = grant.get("funder") or {}
    ror = (ror_url(funder.get("ror", "")) or "").rsplit("/", 1)[-1]
    short = EU_REPO_FUNDERS_BY_ROR.get(ror) or EU_REPO_FUNDERS_BY_NAME.get(
        (funder.get("name") or "").strip().lower()
    )
    number = (grant.get("award_number") or "").strip()
    if not short or not number or "/" in number:
        return ""
    programme = ec_programme(number) if short == "EC" else ""
    return f"{GRANT_AGREEMENT_PREFIX}{short}/{programme}/{number}/" if programme else ""


def _people(root, wrapper: str, tag: str, people: list[dict]) -> None:
    container = _sub(root, wrapper)
    for person in people:
        organizational = person.get("type") == "organizational"
        attrs = {"contributorType": person.get("role") or "Other"} if tag == "contributor" else {}
        el = _sub(container, tag, **attrs)
        _sub(
            el,
            f"{tag}Name",
            person.get("name") or "",
            nameType="Organizational" if organizational else "Personal",
        )
        if not organizational:
            if person.get("given_name"):
                _sub(el, "givenName", person["given_name"])
            if person.get("family_name"):
                _sub(el, "familyName", person["family_name"])
        orcid = orcid_url(person.get("orcid", ""))
        if orcid and not organizational:
            _sub(el, "nameIdentifier", orcid, nameIdentifierScheme="ORCID", schemeURI="https://orcid.org")
        for affiliation in person.get("affiliations") or []:
            ror = ror_url(affiliation.get("ror", ""))
            _sub(
                el,
                "affiliation",
                affiliation.get("name") or "",
                affiliationIdentifier=ror,
                affiliationIdentifierScheme="ROR" if ror else None,
                schemeURI="https://ror.org" if ror else None,
            )


def _titles(root, rec: ExportRecord) -> None:
    titles = _sub(root, "titles")
    _sub(titles, "title", rec.title)
    for extra in rec.metadata.get("additional_titles") or []:
        _sub(
            titles,
            "title",
            extra.get("title", ""),
            titleType=TITLE_TYPES.get(extra.get("type"), "Other"),
            lang=language_bcp47(extra["lang"]) if extra.get("lang") else None,
        )


def _subjects(root, rec: ExportRecord) -> None:
    subjects = rec.metadata.get("subjects") or []
    if not rec.keywords and not subjects:
        return
    container = _sub(root, "subjects")
    for keyword in rec.keywords:
        _sub(container, "subject", keyword)
    for subject in subjects:
        identifier = subject.get("identifier", "")
        _sub(
            container,
            "subject",
            subject.get("term", ""),
            subjectScheme=subject.get("scheme"),
            valueURI=identifier if identifier.startswith(("http://", "https://")) else None,
            classificationCode=identifier if identifier and not identifier.startswith("http") else None,
        )


def _dates(root, rec: ExportRecord) -> None:
    dates = _sub(root, "dates")
    _sub(dates, "date", rec.publication_date or rec.year, dateType="Issued")
    if rec.access_right == "embargoed" and rec.metadata.get("embargo_date"):
        # OpenAIRE (Data Archives): the embargo runs from "Accepted" to "Available"
        start = embargo_start(rec)
        if start:
            _sub(dates, "date", start, dateType="Accepted", dateInformation="Start of embargo")
        _sub(
            dates,
            "date",
            rec.metadata["embargo_date"],
            dateType="Available",
            dateInformation="End of embargo",
        )
    if rec.last_modified:
        _sub(dates, "date", rec.last_modified.date().isoformat(), dateType="Updated")
    if rec.state == "withdrawn" and rec.withdrawn_at:
        _sub(dates, "date", rec.withdrawn_at.date().isoformat(), dateType="Withdrawn")


def _related(root, rec: ExportRecord) -> None:
    items = []
    for rel in rec.metadata.get("related_identifiers") or []:
        scheme, identifier = rel.get("scheme"), rel.get("identifier", "")
        id_type = RELATED_IDENTIFIER_TYPES.get(scheme)
        if scheme == "doi":
            identifier = bare_doi(identifier) or identifier
        if id_type is None:  # "other": DataCite has no such type; a URL still says something
            if not identifier.startswith(("http://", "https://")):
                continue
            id_type = "URL"
        general = None
        if rel.get("resource_type"):
            general = RESOURCE_TYPE_GENERAL.get(rel["resource_type"]) or RESOURCE_TYPE_GENERAL.get(
                rel["resource_type"].split("-")[0]
            )
        items.append((identifier, id_type, rel.get("relation"), general))
    for community in rec.communities:
        items.append((community_url(community["slug"]), "URL", "IsPartOf", "Collection"))
    if not items:
        return
    container = _sub(root, "relatedIdentifiers")
    for identifier, id_type, relation, general in items:
        _sub(
            container,
            "relatedIdentifier",
            identifier,
            relatedIdentifierType=id_type,
            relationType=relation,
            resourceTypeGeneral=general,
        )


def _rights(root, rec: ExportRecord) -> None:
    rights = _sub(root, "rightsList")
    licence = rec.license
    if licence:
        _sub(
            rights,
            "rights",
            licence["title"],
            rightsURI=licence["url"],
            rightsIdentifier=licence["id"],
            rightsIdentifierScheme="SPDX",
            schemeURI="https://spdx.org/licenses/",
            lang="en",
        )
    _sub(
        rights, "rights", ACCESS_RIGHT_LABELS[rec.access_right], rightsURI=ACCESS_RIGHT_URIS[rec.access_right]
    )


def _descriptions(root, rec: ExportRecord) -> None:
    md = rec.metadata
    entries = []
    if rec.description_text:
        entries.append(("Abstract", rec.description_text))
    if md.get("access_conditions") and rec.access_right == "restricted":
        entries.append(("Other", "Access conditions: " + md["access_conditions"]))
    if md.get("notes"):
        entries.append(("Other", md["notes"]))
    if not entries:
        return
    container = _sub(root, "descriptions")
    for kind, text in entries:
        _sub(container, "description", text, descriptionType=kind)


def _funding(root, rec: ExportRecord) -> None:
    funding = rec.metadata.get("funding") or []
    if not funding:
        return
    container = _sub(root, "fundingReferences")
    for grant in funding:
        funder = grant.get("funder") or {}
        el = _sub(container, "fundingReference")
        _sub(el, "funderName", funder.get("name") or "")
        ror = ror_url(funder.get("ror", ""))
        if ror:
            _sub(el, "funderIdentifier", ror, funderIdentifierType="ROR", schemeURI="https://ror.org")
        if grant.get("award_number") or grant.get("award_uri"):
            # OpenAIRE links the work to its project by the info:eu-repo grant agreement id
            uri = grant_agreement(grant) or grant.get("award_uri")
            _sub(el, "awardNumber", grant.get("award_number", ""), awardURI=uri)
        if grant.get("award_title"):
            _sub(el, "awardTitle", grant["award_title"])


register(
    ExportFormat(
        name="datacite",
        label="DataCite XML",
        media_type="application/xml",
        extension="xml",
        serialise=lambda record: to_datacite(record),
        kind=XML,
        order=20,
        oai=OaiMetadata("datacite", "http://schema.datacite.org/meta/kernel-4/metadata.xsd", NS, order=30),
    )
)
register(
    ExportFormat(
        name="oai_datacite",
        label="DataCite XML (OAI-PMH wrapper)",
        media_type="application/xml",
        extension="xml",
        serialise=lambda record: to_oai_datacite(record),
        kind=XML,
        listed=False,
        oai=OaiMetadata("oai_datacite", "http://schema.datacite.org/oai/oai-1.1/oai.xsd", OAI_NS, order=20),
    )
)
