"""Shared data for the export tests: a metadata dict that fills every schema field.

Every free-text value carries non-ASCII text and characters that are illegal in XML 1.0, and the
record has a private contact e-mail (plus e-mail addresses typed into free text), so each export
test can check that both are gone.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path

from django.utils import timezone
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "records" / "schemas" / "record-v1.0.0.json").read_text(encoding="utf-8"))

# The characters XML 1.0 forbids: C0 controls but tab/LF/CR, and U+FFFE/U+FFFF.
ILLEGAL = "".join(chr(c) for c in range(0x00, 0x20) if c not in (0x09, 0x0A, 0x0D)) + "\ufffe\uffff"
# PostgreSQL's jsonb cannot store U+0000, so stored records carry the others; the NUL case is
# covered with an unsaved record (see test_exports_privacy.py).
BAD = "\x01\x08\x0b\x0c\x0e\x1f\ufffe"
CONTACT_EMAIL = "hemlig.kontakt@example.se"
FREE_TEXT_EMAIL = "åsa.öberg@exempel.se"
# Deliberately broader than the exporter's own pattern: anything@anything.tld.
EMAIL_PATTERN = re.compile(r"[^\s<>\"'(){}\[\],;:]+@[^\s<>\"'(){}\[\],;:]+\.[A-Za-z]{2,}")

ORCID = "0000-0002-1825-0097"
ROR_SU = "05f0yaq80"
ROR_KTH = "https://ror.org/026vcq606"
ROR_FUNDER = "03zttf063"


def dirty(text: str) -> str:
    """``text`` with XML-illegal characters spliced in (they must all vanish from exports)."""
    middle = len(text) // 2
    return text[:middle] + BAD + text[middle:] + "\x07"


ALL_FIELDS: dict = {
    "$schema": "https://repository.example.org/schemas/records/record-v1.0.0.json",
    "resource_type": {"type": "publication", "subtype": "article"},
    "title": dirty("Ångströms lag för maskininlärning: en översikt"),
    "additional_titles": [
        {"title": dirty("Ångström's law for machine learning"), "type": "translated-title", "lang": "eng"},
        {"title": dirty("En översikt över fältet"), "type": "subtitle", "lang": "swe"},
        {"title": dirty("Ångströmlagen"), "type": "alternative-title"},
        {"title": dirty("Ett annat namn – ∑"), "type": "other", "lang": "deu"},
    ],
    "publication_date": "2024-05-17",
    "creators": [
        {
            "name": dirty("Öberg, Åsa-Karin Maria"),
            "type": "personal",
            "given_name": dirty("Åsa-Karin Maria"),
            "family_name": dirty("Öberg"),
            "orcid": ORCID,
            "affiliations": [
                {"name": dirty("Stockholms universitet"), "ror": ROR_SU},
                {"name": dirty("Kungliga Tekniska högskolan"), "ror": ROR_KTH},
            ],
        },
        {
            "name": dirty("Nguyễn, Thị Ánh"),
            "given_name": "Thị Ánh",
            "family_name": "Nguyễn",
            "affiliations": [{"name": dirty("Göteborgs universitet")}],
        },
        {"name": dirty("Forskningsgruppen för AI & Språk"), "type": "organizational"},
    ],
    "contributors": [
        {
            "name": dirty("Żółć, Łukasz"),
            "type": "personal",
            "given_name": "Łukasz",
            "family_name": "Żółć",
            "orcid": "https://orcid.org/0000-0001-5109-3700",
            "affiliations": [{"name": dirty("Uppsala universitet"), "ror": "048a87296"}],
            "role": "Editor",
        },
        {"name": dirty("Datalabbet Södermalm"), "type": "organizational", "role": "HostingInstitution"},
        {"name": dirty("Müller, Jürgen"), "role": "Supervisor"},
    ],
    "description": (
        "<p>Vi studerar <strong>Ångströms lag</strong> &amp; dess följder"
        + BAD
        + ".</p><ul><li>Första punkten – α</li><li>Andra punkten</li></ul>"
        + f'<p>Frågor: <a href="mailto:{FREE_TEXT_EMAIL}">{FREE_TEXT_EMAIL}</a> eller 日本語のテキスト.</p>'
    ),
    "languages": ["swe", "eng", "deu"],
    "keywords": [dirty("maskininlärning"), dirty("Ångström"), "naïve Bayes"],
    "subjects": [
        {
            "term": dirty("Artificiell intelligens"),
            "scheme": "Wikidata",
            "identifier": "https://www.wikidata.org/wiki/Q11660",
        },
        {"term": dirty("Datavetenskap"), "scheme": "FOS", "identifier": "1.2"},
    ],
    "access_right": "embargoed",
    "embargo_date": "2099-12-31",
    "access_conditions": dirty("Åtkomst ges till forskare efter ansökan"),
    "license": "CC-BY-4.0",
    "version": dirty("v1.0-β"),
    "thesis_level": "doctoral",  # read only for a thesis
    "journal_title": dirty("Tidskrift för maskininlärning"),
    "journal_volume": "12",
    "journal_issue": "3",
    "journal_pages": "101-117",
    "conference_title": dirty("Nordiska AI-dagarna"),
    "conference_place": dirty("Umeå"),
    "conference_dates": "2024-05-17 - 2024-05-19",
    "publisher": dirty("Stockholms universitets förlag"),
    "related_identifiers": [
        {
            "identifier": "10.1234/förbättrad.5678",
            "scheme": "doi",
            "relation": "IsSupplementTo",
            "resource_type": "dataset",
        },
        {"identifier": "https://example.org/källa?x=1&y=2", "scheme": "url", "relation": "References"},
        {
            "identifier": "2101.00001",
            "scheme": "arxiv",
            "relation": "IsVersionOf",
            "resource_type": "publication-preprint",
        },
        {
            "identifier": "swh:1:dir:d198bc9d7a6bcf6db04f476d29314f157507d505",
            "scheme": "swh",
            "relation": "IsDerivedFrom",
            "resource_type": "software",
        },
        {"identifier": "978-3-16-148410-0", "scheme": "isbn", "relation": "IsPartOf"},
        {"identifier": "lokal-ärende-42", "scheme": "other", "relation": "IsIdenticalTo"},
    ],
    "references": [
        dirty("Öberg, Å. (2020). Tidigare arbete. Tidskrift för AI, 1(2), 3–4."),
        "Smith, J. (2019). Prior art.",
    ],
    "funding": [
        {
            "funder": {"name": dirty("Vetenskapsrådet"), "ror": ROR_FUNDER},
            "award_number": "2021-04567",
            "award_title": dirty("Maskininlärning för språkteknologi"),
            "award_uri": "https://www.vr.se/projekt/2021-04567",
        },
        {"funder": {"name": dirty("Wallenbergstiftelserna")}},
    ],
    "notes": dirty(f"Anmärkning: skriv till {FREE_TEXT_EMAIL} för frågor. Ödmjukt tack."),
    "card": {
        "kind": "dataset",
        "motivation": dirty(f"Motivering: frågor till {FREE_TEXT_EMAIL}."),
        "composition": dirty("Sammansättning: 12 000 anföranden."),
        "collection_process": dirty("Insamling: Riksdagens öppna data."),
        "preprocessing": dirty("Förbehandling: tomma anföranden borttagna."),
        "uses": dirty("Användning: sentimentanalys."),
        "distribution": dirty("Spridning: CC BY 4.0."),
        "maintenance": dirty("Underhåll: årligen."),
        "intended_use": dirty("Avsedd användning: forskning."),
        "out_of_scope_use": dirty("Utanför ramen: övervakning av personer."),
        "training_data": dirty("Träningsdata: 2010–2018."),
        "evaluation": dirty("Utvärdering: F1 på 2019–2020."),
        "limitations": dirty("Begränsningar: bara formellt tal."),
        "ethical_considerations": dirty("Etik: offentliga personer."),
        "task_categories": ["text-classification"],
        "size_category": "10K-100K",
    },
    "contact_email": CONTACT_EMAIL,
}


def all_fields(**overrides) -> dict:
    metadata = copy.deepcopy(ALL_FIELDS)
    metadata.update(overrides)
    return metadata


def make_record(owner, metadata: dict | None = None, *, state: str = "published", pk_doi: bool = True):
    """A record as publish leaves it (state, DOI, dates), with the given metadata stored as is."""
    from records.models import Record

    now = timezone.now()
    record = Record.objects.create(
        owner=owner,
        metadata=all_fields() if metadata is None else metadata,
        state=state,
        created=now - dt.timedelta(days=3),
        published_at=None if state == "draft" else now - dt.timedelta(days=2),
        datestamp=None if state == "draft" else now - dt.timedelta(days=1),
        withdrawn_at=now if state == "withdrawn" else None,
    )
    if pk_doi and state != "draft":
        record.doi = f"10.5072/exports-test.{record.pk}"
        record.save(update_fields=["doi"])
    return record


def all_strings(value) -> list[str]:
    """Every string in a JSON-like value or an lxml element (text, tails and attribute values)."""
    if isinstance(value, etree._Element):
        out = []
        for el in value.iter():
            out += [v for v in (el.text, el.tail) if v]
            out += list(el.attrib.values())
        return out
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in all_strings(k) + all_strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in all_strings(v)]
    return []


OAI = "http://www.openarchives.org/OAI/2.0/"


def in_oai_envelope(payload: etree._Element) -> etree._Element:
    """A GetRecord response carrying ``payload`` in ``<metadata>`` (for validate-all.xsd)."""
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI, "xsi": xsi})
    root.set(f"{{{xsi}}}schemaLocation", f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd")
    etree.SubElement(root, f"{{{OAI}}}responseDate").text = "2026-01-01T00:00:00Z"
    request = etree.SubElement(root, f"{{{OAI}}}request", verb="GetRecord")
    request.text = "http://127.0.0.1:8000/oai2d"
    record = etree.SubElement(etree.SubElement(root, f"{{{OAI}}}GetRecord"), f"{{{OAI}}}record")
    header = etree.SubElement(record, f"{{{OAI}}}header")
    etree.SubElement(header, f"{{{OAI}}}identifier").text = "oai:127.0.0.1:1"
    etree.SubElement(header, f"{{{OAI}}}datestamp").text = "2026-01-01T00:00:00Z"
    etree.SubElement(record, f"{{{OAI}}}metadata").append(payload)
    return root
