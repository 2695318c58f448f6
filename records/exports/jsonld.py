"""schema.org JSON-LD of a record (also embedded in the landing page for search engines).

In a page, serialise with ``django.utils.html.json_script`` (or :func:`to_jsonld_script`), which
escapes ``<``, ``>`` and ``&`` so no string can close the ``<script>`` element.
"""

from __future__ import annotations

import json

from django.utils.html import json_script
from django.utils.safestring import SafeString, mark_safe

from identifiers import bare_doi, orcid_url, ror_url
from records.resource_types import by_id

from .base import (
    ExportRecord,
    as_export_record,
    community_url,
    is_url,
    language_bcp47,
)
from .registry import JSON, ExportFormat, register

# schema.org properties for the relation types that have a close one.
RELATION_PROPERTIES = {
    "IsPartOf": "isPartOf",
    "HasPart": "hasPart",
    "Cites": "citation",
    "References": "citation",
    "IsDerivedFrom": "isBasedOn",
    "IsVersionOf": "isBasedOn",
    "IsSupplementTo": "isPartOf",
    "IsIdenticalTo": "sameAs",
    "IsTranslationOf": "translationOfWork",
    "HasTranslation": "workTranslation",
}

RELATED_URL_PREFIXES = {
    "doi": "https://doi.org/",
    "arxiv": "https://arxiv.org/abs/",
    "handle": "https://hdl.handle.net/",
    "pmid": "https://pubmed.ncbi.nlm.nih.gov/",
    "swh": "https://archive.softwareheritage.org/",
}


def schema_type(type_id: str) -> str:
    return by_id(type_id).schema_org


def _person(person: dict) -> dict:
    if person.get("type") == "organizational":
        node = {"@type": "Organization", "name": person.get("name", "")}
    else:
        node = {"@type": "Person", "name": person.get("name", "")}
        if person.get("given_name"):
            node["givenName"] = person["given_name"]
        if person.get("family_name"):
            node["familyName"] = person["family_name"]
        orcid = orcid_url(person.get("orcid", ""))
        if orcid:
            node["@id"] = orcid
            node["identifier"] = orcid
    affiliations = []
    for affiliation in person.get("affiliations") or []:
        org = {"@type": "Organization", "name": affiliation.get("name", "")}
        ror = ror_url(affiliation.get("ror", ""))
        if ror:
            org["@id"] = ror
        affiliations.append(org)
    if affiliations:
        node["affiliation"] = affiliations
    return node


def _related_url(rel: dict) -> str:
    scheme, identifier = rel.get("scheme", ""), rel.get("identifier", "")
    if is_url(identifier):
        return identifier
    if scheme == "doi":
        identifier = bare_doi(identifier) or identifier
    prefix = RELATED_URL_PREFIXES.get(scheme)
    return prefix + identifier if prefix else ""


def to_jsonld(record) -> dict:
    """A schema.org JSON-LD document (dict) describing the record."""
    rec = as_export_record(record)
    md = rec.metadata
    doc: dict = {
        "@context": "https://schema.org",
        "@type": schema_type(rec.resource_type_id),
        "@id": rec.url,
        "url": rec.landing_url,
        "name": rec.title,
    }
    if rec.doi:
        doc["identifier"] = {
            "@type": "PropertyValue",
            "propertyID": "DOI",
            "value": rec.doi,
            "url": rec.doi_url,
        }
    _describe(doc, rec)
    doc["publisher"] = {"@type": "Organization", "name": rec.publisher}
    _access(doc, rec)
    _funding(doc, rec)
    if md.get("references"):
        doc["citation"] = list(md["references"])
    _relations(doc, rec)
    _distribution(doc, rec)
    return doc


def _describe(doc: dict, rec: ExportRecord) -> None:
    """Titles, people, dates, subjects, languages, licence and version."""
    md = rec.metadata
    alternates = [t.get("title", "") for t in md.get("additional_titles") or []]
    if alternates:
        doc["alternateName"] = alternates
    doc["creator"] = [_person(p) for p in rec.creators]
    if rec.contributors:
        doc["contributor"] = [_person(p) for p in rec.contributors]
    if rec.description_text:
        doc["description"] = rec.description_text
    if rec.publication_date:
        doc["datePublished"] = rec.publication_date
    if rec.last_modified:
        doc["dateModified"] = rec.last_modified.isoformat()
    if rec.keywords:
        doc["keywords"] = rec.keywords
    subjects = [
        {"@type": "DefinedTerm", "name": s.get("term", ""), **_subject_extra(s)}
        for s in md.get("subjects") or []
    ]
    if subjects:
        doc["about"] = subjects
    if rec.languages:
        languages = [language_bcp47(code) for code in rec.languages]
        doc["inLanguage"] = languages[0] if len(languages) == 1 else languages
    licence = rec.license
    if licence:
        doc["license"] = licence["url"]
    if md.get("version"):
        doc["version"] = md["version"]


def to_jsonld_script(record) -> SafeString:
    """The JSON-LD as a safe ``<script type="application/ld+json">`` element for a page."""
    script = json_script(to_jsonld(record))  # escapes <, > and & inside the JSON
    # only the element's type attribute changes, so the escaped content stays safe
    return mark_safe(script.replace('type="application/json"', 'type="application/ld+json"', 1))  # noqa: S308


def to_jsonld_text(record) -> str:
    return json.dumps(to_jsonld(record), ensure_ascii=False, indent=2)


def _subject_extra(subject: dict) -> dict:
    extra = {}
    if subject.get("scheme"):
        extra["inDefinedTermSet"] = subject["scheme"]
    if subject.get("identifier"):
        extra["termCode" if not is_url(subject["identifier"]) else "@id"] = subject["identifier"]
    return extra


def _access(doc: dict, rec: ExportRecord) -> None:
    md = rec.metadata
    doc["isAccessibleForFree"] = rec.access_right == "open"
    if rec.access_right == "embargoed" and md.get("embargo_date"):
        doc["conditionsOfAccess"] = f"Embargoed until {md['embargo_date']}"
    elif rec.access_right == "restricted":
        doc["conditionsOfAccess"] = md.get("access_conditions") or "Restricted access"
    elif rec.access_right == "closed":
        doc["conditionsOfAccess"] = "Closed access"


def _funding(doc: dict, rec: ExportRecord) -> None:
    grants = []
    for grant in rec.metadata.get("funding") or []:
        funder = grant.get("funder") or {}
        funder_node = {"@type": "Organization", "name": funder.get("name", "")}
        ror = ror_url(funder.get("ror", ""))
        if ror:
            funder_node["@id"] = ror
        node: dict[str, str | dict[str, str]] = {"@type": "Grant", "funder": funder_node}
        if grant.get("award_number"):
            node["identifier"] = grant["award_number"]
        if grant.get("award_title"):
            node["name"] = grant["award_title"]
        if grant.get("award_uri"):
            node["url"] = grant["award_uri"]
        grants.append(node)
    if grants:
        doc["funding"] = grants


def _relations(doc: dict, rec: ExportRecord) -> None:
    for rel in rec.metadata.get("related_identifiers") or []:
        url = _related_url(rel)
        if not url:
            continue
        prop = RELATION_PROPERTIES.get(rel.get("relation"))
        if prop == "citation":
            doc.setdefault("citation", []).append({"@id": url})
        elif prop:
            doc.setdefault(prop, []).append({"@id": url})
        else:
            doc.setdefault("relatedLink", []).append(url)
    for community in rec.communities:
        doc.setdefault("isPartOf", []).append(
            {"@type": "Collection", "@id": community_url(community["slug"]), "name": community["title"]}
        )


def _distribution(doc: dict, rec: ExportRecord) -> None:
    if not rec.files:
        return
    doc["distribution"] = [
        {
            "@type": "DataDownload",
            "name": f["key"],
            "contentUrl": rec.file_url(f["key"]),
            "encodingFormat": f["mimetype"],
            "contentSize": f"{f['size']} B",
        }
        for f in rec.files
    ]


register(
    ExportFormat(
        name="jsonld",
        label="JSON-LD",
        media_type="application/ld+json",
        extension="jsonld",
        serialise=lambda record: to_jsonld(record),
        kind=JSON,
        order=70,
    )
)
