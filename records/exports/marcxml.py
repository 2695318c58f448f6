"""MARC 21 bibliographic record in MARCXML (MARC21 slim schema)."""

from __future__ import annotations

import re

from lxml import etree

from identifiers import orcid_id

from .base import (
    ACCESS_RIGHT_LABELS,
    ExportRecord,
    as_export_record,
    community_url,
    language_marc,
    related_identifier_text,
)
from .registry import XML, ExportFormat, OaiMetadata, register

NS = "http://www.loc.gov/MARC21/slim"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"

# MARC relator codes for the contributor roles that have one.
RELATOR_CODES = {
    "ContactPerson": "",
    "DataCollector": "com",
    "DataCurator": "cur",
    "DataManager": "dtm",
    "Distributor": "dst",
    "Editor": "edt",
    "HostingInstitution": "his",
    "Producer": "pro",
    "ProjectLeader": "pdr",
    "Researcher": "res",
    "RightsHolder": "cph",
    "Sponsor": "spn",
    "Supervisor": "ths",
    "Translator": "trl",
    "Other": "oth",
}

Subfields = list[tuple[str, str]]


def to_marcxml(record) -> etree._Element:
    """The record as a ``<record>`` element in the MARC21 slim namespace."""
    rec = as_export_record(record)
    root = etree.Element(f"{{{NS}}}record", nsmap={None: NS, "xsi": XSI}, type="Bibliographic")  # type: ignore[dict-item]  # lxml-stubs: a None key (the default namespace) is valid
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    etree.SubElement(root, f"{{{NS}}}leader").text = leader(rec)
    for tag, value in _control_fields(rec):
        etree.SubElement(root, f"{{{NS}}}controlfield", tag=tag).text = value
    for tag, ind1, ind2, subfields in sorted(_data_fields(rec), key=lambda f: f[0]):
        subfields = [(code, value) for code, value in subfields if value]
        if not subfields:
            continue
        field = etree.SubElement(root, f"{{{NS}}}datafield", tag=tag, ind1=ind1, ind2=ind2)
        for code, value in subfields:
            etree.SubElement(field, f"{{{NS}}}subfield", code=code).text = value
    return root


def leader(rec: ExportRecord) -> str:
    """24 positions: new record, type of record, monograph (or component part), Unicode."""
    row = rec.resource_type
    return f"00000n{row.marc}{row.marc_level} a2200000uu 4500"


def _control_fields(rec: ExportRecord) -> list[tuple[str, str]]:
    fields = [("001", str(rec.id))]
    if rec.last_modified:
        fields.append(("005", rec.last_modified.strftime("%Y%m%d%H%M%S") + ".0"))
    fields.append(("008", _field_008(rec)))
    return fields


def _field_008(rec: ExportRecord) -> str:
    """Fixed-length data: date entered, single known date, place unknown, language, source."""
    when = rec.published_at or rec.created
    entered = when.strftime("%y%m%d") if when else "||||||"
    year = rec.year or "uuuu"
    language = language_marc(rec.languages[0]) if rec.languages else "und"
    return f"{entered}s{year}    xx {'|' * 17}{language[:3]:<3}|d"


def _name_field(person: dict, first: bool, relator: tuple[str, str]) -> tuple:
    organizational = person.get("type") == "organizational"
    tag = ("110" if first else "710") if organizational else ("100" if first else "700")
    ind1 = "2" if organizational else "1"
    subfields: Subfields = [("a", person.get("name", ""))]
    term, code = relator
    subfields.append(("e", term))
    for affiliation in person.get("affiliations") or []:
        subfields.append(("u", affiliation.get("name", "")))
    orcid = orcid_id(person.get("orcid", ""))
    if orcid and not organizational:
        subfields.append(("0", f"(orcid){orcid}"))
        subfields.append(("1", f"https://orcid.org/{orcid}"))
    subfields.append(("4", code))
    return (tag, ind1, " ", subfields)


def _role_term(role: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", role or "Other").lower()


def _data_fields(rec: ExportRecord) -> list[tuple]:
    md = rec.metadata
    fields: list[tuple] = []
    if rec.doi:
        fields.append(("024", "7", " ", [("a", rec.doi), ("2", "doi")]))
    if rec.languages:
        fields.append(("041", " ", " ", [("a", language_marc(code)) for code in rec.languages]))
    for index, creator in enumerate(rec.creators):
        fields.append(_name_field(creator, index == 0, ("author", "aut")))
    for contributor in rec.contributors:
        role = contributor.get("role", "Other")
        fields.append(_name_field(contributor, False, (_role_term(role), RELATOR_CODES.get(role, ""))))
    _title_fields(rec, fields)
    if md.get("version"):
        fields.append(("250", " ", " ", [("a", md["version"])]))
    fields.append(("264", " ", "1", [("b", rec.publisher), ("c", rec.publication_date or rec.year)]))
    if md.get("notes"):
        fields.append(("500", " ", " ", [("a", md["notes"])]))
    for reference in md.get("references") or []:
        fields.append(("504", " ", " ", [("a", reference)]))
    fields.append(_access_field(rec))
    if rec.description_text:
        fields.append(("520", "3", " ", [("a", rec.description_text)]))
    fields.extend(_funding_licence_subjects(rec))
    for keyword in rec.keywords:
        fields.append(("653", " ", " ", [("a", keyword)]))
    fields.append(("655", " ", "7", [("a", rec.resource_type_label), ("2", "local")]))
    for rel in md.get("related_identifiers") or []:
        fields.append(
            (
                "787",
                "0",
                "8",
                [("i", _role_term(rel.get("relation", ""))), ("o", related_identifier_text(rel))],
            )
        )
    for community in rec.communities:
        fields.append(
            (
                "787",
                "0",
                "8",
                [("i", "is part of"), ("t", community["title"]), ("o", community_url(community["slug"]))],
            )
        )
    fields.extend(_link_fields(rec))
    return fields


def _funding_licence_subjects(rec: ExportRecord) -> list[tuple]:
    md = rec.metadata
    fields: list[tuple] = []
    for grant in md.get("funding") or []:
        funder = (grant.get("funder") or {}).get("name", "")
        title = grant.get("award_title", "")
        fields.append(
            (
                "536",
                " ",
                " ",
                [("a", f"{funder}: {title}" if title else funder), ("c", grant.get("award_number", ""))],
            )
        )
    licence = rec.license
    if licence:
        fields.append(
            (
                "540",
                " ",
                " ",
                [("a", licence["title"]), ("f", licence["id"]), ("2", "spdx"), ("u", licence["url"])],
            )
        )
    for subject in md.get("subjects") or []:
        fields.append(
            (
                "650",
                " ",
                "7",
                [
                    ("a", subject.get("term", "")),
                    ("2", subject.get("scheme") or "local"),
                    ("0", subject.get("identifier", "")),
                ],
            )
        )
    return fields


def _title_fields(rec: ExportRecord, fields: list[tuple]) -> None:
    extras = rec.metadata.get("additional_titles") or []
    subtitle = next((t.get("title", "") for t in extras if t.get("type") == "subtitle"), "")
    fields.append(("245", "1" if rec.creators else "0", "0", [("a", rec.title), ("b", subtitle)]))
    for extra in extras:
        if extra.get("type") == "translated-title":
            lang = language_marc(extra["lang"]) if extra.get("lang") else ""
            fields.append(("242", "0", "0", [("a", extra.get("title", "")), ("y", lang)]))
        elif extra.get("type") != "subtitle" or extra.get("title", "") != subtitle:
            fields.append(("246", "3", "3", [("a", extra.get("title", ""))]))


def _access_field(rec: ExportRecord) -> tuple:
    md = rec.metadata
    right = rec.access_right
    if right == "open":
        return (
            "506",
            "0",
            " ",
            [("a", ACCESS_RIGHT_LABELS[right]), ("f", "Unrestricted online access"), ("2", "star")],
        )
    terms = ACCESS_RIGHT_LABELS[right]
    if right == "restricted" and md.get("access_conditions"):
        terms = f"{terms}: {md['access_conditions']}"
    subfields: Subfields = [("a", terms)]
    if right == "embargoed":
        subfields.append(("g", md.get("embargo_date", "")))
    subfields.append(
        ("f", "No online access" if right != "restricted" else "Online access with authorization")
    )
    subfields.append(("2", "star"))
    return ("506", "1", " ", subfields)


def _link_fields(rec: ExportRecord) -> list[tuple]:
    fields = []
    if rec.doi:
        fields.append(("856", "4", "0", [("u", rec.doi_url), ("y", "DOI")]))
    fields.append(("856", "4", "0", [("u", rec.landing_url), ("y", "Landing page")]))
    for f in rec.files:
        fields.append(
            (
                "856",
                "4",
                "0",
                [
                    ("u", rec.file_url(f["key"])),
                    ("f", f["key"]),
                    ("s", str(f["size"])),
                    ("q", f["mimetype"]),
                    ("z", "md5:" + f["md5"] if f["md5"] else ""),
                ],
            )
        )
    return fields


register(
    ExportFormat(
        name="marcxml",
        label="MARCXML",
        media_type="application/xml",
        extension="xml",
        serialise=lambda record: to_marcxml(record),
        kind=XML,
        order=40,
        oai=OaiMetadata(
            "marcxml", "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", NS, order=40
        ),
    )
)
