"""OpenAIRE Guidelines for Literature Repositories v4 (``oai_openaire``): ``to_openaire`` and ``problems``.

The application profile (https://openaire-guidelines-for-literature-repository-managers.readthedocs.io,
checklist in ``records/exports/xsd/README.md``): DataCite elements for creators, titles, dates,
identifiers, rights and subjects; a few Dublin Core elements; OpenAIRE's own for the COAR resource
type and version, the licence condition, funding references and file locations.

Every payload is valid against both the 4.0 schema ListMetadataFormats names and 4.1: only COAR
resource types both accept are used. The schema models the record as an unbounded choice, so it
cannot say that a mandatory field is missing or a date is not W3CDTF; :func:`problems` does. A
record with problems is not disseminated in ``oai_openaire`` (OAI-PMH answers
``cannotDisseminateFormat`` for it and leaves it out of lists) and staff see it listed with what is
missing (``/staff/openaire/``).
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _
from lxml import etree

from identifiers import bare_doi, orcid_url, ror_url

from .base import ExportRecord, as_export_record, embargo_start
from .registry import XML, ExportFormat, OaiMetadata, register

NS = "http://namespace.openaire.eu/schema/oaire/"
DATACITE = "http://datacite.org/schema/kernel-4"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SCHEMA_URL = "https://www.openaire.eu/schema/repo-lit/4.0/openaire.xsd"
SCHEMA_LOCATION = f"{NS} {SCHEMA_URL}"
NSMAP = {"oaire": NS, "datacite": DATACITE, "dc": DC, "xsi": XSI}

COAR_RESOURCE_TYPE = "http://purl.org/coar/resource_type/"
COAR_ACCESS_RIGHT = "http://purl.org/coar/access_right/"
COAR_VERSION = "http://purl.org/coar/version/"

# COAR access rights (label, URI) by the record's access right.
ACCESS_RIGHTS = {
    "open": ("open access", COAR_ACCESS_RIGHT + "c_abf2"),
    "embargoed": ("embargoed access", COAR_ACCESS_RIGHT + "c_f1cf"),
    "restricted": ("restricted access", COAR_ACCESS_RIGHT + "c_16ec"),
    "closed": ("metadata only access", COAR_ACCESS_RIGHT + "c_14cb"),
}

# COAR resource type (id, label) by resource type id; every id is in the 4.0 list and in 4.1's.
# Types not listed fall back to their type's row (an unknown subtype), then to "other".
RESOURCE_TYPES = {
    "publication": ("c_18cf", "text"),
    "publication-article": ("c_6501", "journal article"),
    "publication-preprint": ("c_816b", "preprint"),
    "publication-conferencepaper": ("c_5794", "conference paper"),
    "publication-report": ("c_93fc", "report"),
    "publication-thesis": ("c_46ec", "thesis"),
    "publication-book": ("c_2f33", "book"),
    "publication-section": ("c_3248", "book part"),
    "publication-technicalnote": ("c_18gh", "technical report"),
    "publication-workingpaper": ("c_8042", "working paper"),
    "publication-proposal": ("c_baaf", "research proposal"),
    "publication-deliverable": ("c_18op", "project deliverable"),
    "publication-milestone": ("c_18hj", "report to funding agency"),
    "publication-softwaredocumentation": ("c_71bd", "technical documentation"),
    "publication-datamanagementplan": ("c_1843", "other"),
    "publication-patent": ("c_15cd", "patent"),
    "publication-taxonomictreatment": ("c_18cf", "text"),
    "publication-annotationcollection": ("c_1162", "annotation"),
    "publication-peerreview": ("c_efa0", "review"),
    "publication-other": ("c_18cf", "text"),
    "poster": ("c_6670", "conference poster"),
    "presentation": ("c_c94f", "conference object"),
    "dataset": ("c_ddb1", "dataset"),
    "image": ("c_c513", "image"),
    "image-figure": ("c_ecc8", "still image"),
    "image-plot": ("c_ecc8", "still image"),
    "image-drawing": ("c_ecc8", "still image"),
    "image-diagram": ("c_ecc8", "still image"),
    "image-photo": ("c_ecc8", "still image"),
    "image-other": ("c_c513", "image"),
    "video": ("c_12ce", "video"),
    "software": ("c_5ce6", "software"),
    "lesson": ("c_8544", "lecture"),
    "other": ("c_1843", "other"),
}
# A thesis with a level (the record's ``thesis_level``) has its own COAR type.
THESIS_TYPES = {
    "bachelor": ("c_7a1f", "bachelor thesis"),
    "master": ("c_bdcc", "master thesis"),
    "doctoral": ("c_db06", "doctoral thesis"),
}
# The profile's resourceTypeGeneral (and the file's objectType) by the record's type.
TYPE_GENERAL = {
    "publication": "literature",
    "poster": "literature",
    "presentation": "literature",
    "lesson": "literature",
    "dataset": "dataset",
    "software": "software",
}
OBJECT_TYPES = {"literature": "fulltext", "dataset": "dataset", "software": "software"}

# COAR version types: a preprint is the author's original.
VERSION_TYPES = {"publication-preprint": ("AO", "c_b1a7d7d4d402bcce")}

CONTRIBUTOR_TYPES = frozenset(
    [
        "ContactPerson",
        "DataCollector",
        "DataCurator",
        "DataManager",
        "Distributor",
        "Editor",
        "HostingInstitution",
        "Other",
        "Producer",
        "ProjectLeader",
        "ProjectManager",
        "ProjectMember",
        "RegistrationAgency",
        "RegistrationAuthority",
        "RelatedPerson",
        "ResearchGroup",
        "RightsHolder",
        "Researcher",
        "Sponsor",
        "Supervisor",
        "WorkPackageLeader",
    ]
)
RELATION_TYPES = frozenset(
    [
        "IsCitedBy",
        "Cites",
        "IsSupplementTo",
        "IsSupplementedBy",
        "IsContinuedBy",
        "Continues",
        "IsDescribedBy",
        "Describes",
        "HasVersion",
        "IsVersionOf",
        "IsNewVersionOf",
        "IsPreviousVersionOf",
        "IsPartOf",
        "HasPart",
        "IsReferencedBy",
        "References",
        "IsDocumentedBy",
        "Documents",
        "IsCompiledBy",
        "Compiles",
        "IsVariantFormOf",
        "IsOriginalFormOf",
        "IsIdenticalTo",
        "HasMetadata",
        "IsMetadataFor",
        "Reviews",
        "IsReviewedBy",
        "IsDerivedFrom",
        "IsSourceOf",
        "IsRequiredBy",
        "Requires",
    ]
)
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
    "bibcode": "bibcode",
    "ads": "bibcode",
}

# W3CDTF as the profile uses it for record dates: YYYY, YYYY-MM or YYYY-MM-DD (no time, no zone).
CONFERENCE_DATES_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?: - \d{4}-\d{2}-\d{2})?$")
W3CDTF_RE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


def is_w3cdtf(value: str) -> bool:
    """``2024``, ``2024-05`` and ``2024-05-17`` (a real date), nothing else."""
    if not W3CDTF_RE.match(value or ""):
        return False
    parts = [int(p) for p in value.split("-")]
    try:
        dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return False
    return True


def is_full_date(value: str) -> bool:
    return is_w3cdtf(value) and len(value) == 10


def coar_resource_type(rec: ExportRecord) -> tuple[str, str]:
    """``(URI, label)`` of the record's COAR resource type."""
    type_id = rec.resource_type_id
    if type_id == "publication-thesis" and rec.metadata.get("thesis_level") in THESIS_TYPES:
        code, label = THESIS_TYPES[rec.metadata["thesis_level"]]
    else:
        code, label = (
            RESOURCE_TYPES.get(type_id)
            or RESOURCE_TYPES.get(type_id.split("-")[0])
            or RESOURCE_TYPES["other"]
        )
    return COAR_RESOURCE_TYPE + code, label


def type_general(rec: ExportRecord) -> str:
    return TYPE_GENERAL.get(rec.resource_type.type, "other research product")


def problems(record) -> list[str]:
    """What keeps the record from being an OpenAIRE-compliant ``oai_openaire`` record (empty: none).

    The checks the schema cannot make: the mandatory fields present, record dates in W3CDTF, an
    embargo with its end date.
    """
    rec = as_export_record(record)
    found = []
    if not (rec.title or "").strip():
        found.append(_("Title is missing (mandatory)."))
    if not any((c.get("name") or "").strip() for c in rec.creators):
        found.append(_("No creator is named (mandatory when known, and always known here)."))
    if not rec.publication_date:
        found.append(_("Publication date is missing (mandatory)."))
    elif not is_w3cdtf(rec.publication_date):
        found.append(
            _("Publication date %(date)s is not a W3CDTF date (YYYY, YYYY-MM or YYYY-MM-DD).")
            % {"date": rec.publication_date}
        )
    if rec.access_right not in ACCESS_RIGHTS:
        found.append(_("Access right %(right)s is unknown.") % {"right": rec.access_right})
    if rec.access_right == "embargoed":
        end = rec.metadata.get("embargo_date") or ""
        if not end:
            found.append(_("An embargoed record needs its embargo end date (mandatory)."))
        elif not is_full_date(end):
            found.append(_("Embargo end date %(date)s is not a W3CDTF date (YYYY-MM-DD).") % {"date": end})
        if not embargo_start(rec):
            found.append(_("The embargo's start date is unknown."))
    if not (rec.doi or rec.landing_url):
        found.append(_("The record has no identifier (mandatory)."))
    return found


def _el(parent, ns: str, tag: str, text: str | None = None, **attrs) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{tag}")
    for key, value in attrs.items():
        if value not in (None, ""):
            el.set(XML_LANG if key == "lang" else key, value)
    if text is not None:
        el.text = text
    return el


def to_openaire(record) -> etree._Element:
    """The record as an OpenAIRE Literature v4 ``<oaire:resource>`` element."""
    rec = as_export_record(record)
    md = rec.metadata
    root = etree.Element(f"{{{NS}}}resource", nsmap=NSMAP)
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)

    _titles(root, rec)
    _people(root, "creators", "creator", rec.creators)
    if rec.contributors:
        _people(root, "contributors", "contributor", rec.contributors)
    _funding(root, rec)
    if rec.doi:
        alternates = _el(root, DATACITE, "alternateIdentifiers")
        _el(alternates, DATACITE, "alternateIdentifier", rec.landing_url, alternateIdentifierType="URL")
    _related(root, rec)
    _dates(root, rec)
    for code in rec.languages:
        _el(root, DC, "language", code)
    _el(root, DC, "publisher", rec.publisher)
    uri, label = coar_resource_type(rec)
    _el(root, NS, "resourceType", label, resourceTypeGeneral=type_general(rec), uri=uri)
    if rec.description_text:
        _el(root, DC, "description", rec.description_text)
    for mimetype in dict.fromkeys(f["mimetype"] for f in rec.files if f["mimetype"]):
        _el(root, DC, "format", mimetype)
    if rec.doi:
        _el(root, DATACITE, "identifier", rec.doi, identifierType="DOI")
    else:
        _el(root, DATACITE, "identifier", rec.landing_url, identifierType="URL")
    access_label, access_uri = ACCESS_RIGHTS.get(rec.access_right, ACCESS_RIGHTS["closed"])
    _el(root, DATACITE, "rights", access_label, rightsURI=access_uri)
    _subjects(root, rec)
    licence = rec.license
    if licence:
        start = md.get("embargo_date") if rec.access_right == "embargoed" else rec.publication_date
        _el(
            root,
            NS,
            "licenseCondition",
            licence["title"],
            uri=licence["url"],
            startDate=start if is_full_date(start or "") else None,
        )
    _files_and_version(root, rec, access_uri)
    _citation(root, rec)
    return root


PAGES_RE = re.compile(r"^\s*(\S+?)\s*[-–]+\s*(\S+)\s*$")


def _citation(root, rec: ExportRecord) -> None:
    """The bibliographic citation: the journal (or book) and the conference the work appeared in."""
    md = rec.metadata
    title = md.get("journal_title") or md.get("conference_title")
    if title:
        _el(root, NS, "citationTitle", title)
    for key, tag in (("journal_volume", "citationVolume"), ("journal_issue", "citationIssue")):
        if md.get(key):
            _el(root, NS, tag, md[key])
    pages = md.get("journal_pages") or ""
    match = PAGES_RE.match(pages)
    if match:
        _el(root, NS, "citationStartPage", match.group(1))
        _el(root, NS, "citationEndPage", match.group(2))
    elif pages.strip():
        _el(root, NS, "citationStartPage", pages.strip())
    if md.get("conference_place"):
        _el(root, NS, "citationConferencePlace", md["conference_place"])
    if CONFERENCE_DATES_RE.match(md.get("conference_dates") or ""):  # the profile's form only (recommended)
        _el(root, NS, "citationConferenceDate", md["conference_dates"])


def _titles(root, rec: ExportRecord) -> None:
    md = rec.metadata
    titles = _el(root, DATACITE, "titles")
    _el(titles, DATACITE, "title", rec.title)
    for extra in md.get("additional_titles") or []:
        if extra.get("title"):
            kind = {
                "alternative-title": "AlternativeTitle",
                "subtitle": "Subtitle",
                "translated-title": "TranslatedTitle",
            }
            _el(titles, DATACITE, "title", extra["title"], titleType=kind.get(extra.get("type"), "Other"))


def _files_and_version(root, rec: ExportRecord, access_uri: str) -> None:
    md = rec.metadata
    if rec.files:
        sizes = _el(root, DATACITE, "sizes")
        _el(sizes, DATACITE, "size", f"{sum(f['size'] for f in rec.files)} bytes")
    version = VERSION_TYPES.get(rec.resource_type_id)
    if version:
        _el(root, NS, "version", version[0], uri=COAR_VERSION + version[1])
    elif md.get("version") and type_general(rec) != "literature":
        _el(root, NS, "version", md["version"])
    object_type = OBJECT_TYPES.get(type_general(rec), "other")
    for item in rec.files:
        _el(
            root,
            NS,
            "file",
            rec.file_url(item["key"]),
            accessRightsURI=access_uri,
            mimeType=item["mimetype"],
            objectType=object_type,
        )


def _people(root, wrapper: str, tag: str, people: list[dict]) -> None:
    container = _el(root, DATACITE, wrapper)
    for person in people:
        organizational = person.get("type") == "organizational"
        attrs = {}
        if tag == "contributor":
            role = person.get("role") or "Other"
            attrs["contributorType"] = role if role in CONTRIBUTOR_TYPES else "Other"
        el = _el(container, DATACITE, tag, **attrs)
        _el(
            el,
            DATACITE,
            f"{tag}Name",
            person.get("name") or "",
            nameType="Organizational" if organizational else "Personal",
        )
        if not organizational:
            if person.get("given_name"):
                _el(el, DATACITE, "givenName", person["given_name"])
            if person.get("family_name"):
                _el(el, DATACITE, "familyName", person["family_name"])
            orcid = orcid_url(person.get("orcid", ""))
            if orcid:
                _el(
                    el,
                    DATACITE,
                    "nameIdentifier",
                    orcid,
                    nameIdentifierScheme="ORCID",
                    schemeURI="https://orcid.org",
                )
        for affiliation in person.get("affiliations") or []:
            if affiliation.get("name"):
                _el(el, DATACITE, "affiliation", affiliation["name"])


def _funding(root, rec: ExportRecord) -> None:
    funding = [g for g in rec.metadata.get("funding") or [] if (g.get("funder") or {}).get("name")]
    if not funding:
        return
    container = _el(root, NS, "fundingReferences")
    for grant in funding:
        funder = grant["funder"]
        el = _el(container, NS, "fundingReference")
        _el(el, NS, "funderName", funder["name"])
        ror = ror_url(funder.get("ror", ""))
        if ror:
            _el(el, NS, "funderIdentifier", ror, funderIdentifierType="ROR")
        if grant.get("award_number"):
            _el(el, NS, "awardNumber", grant["award_number"], awardURI=grant.get("award_uri"))
        if grant.get("award_title"):
            _el(el, NS, "awardTitle", grant["award_title"])


def _related(root, rec: ExportRecord) -> None:
    items = []
    for rel in rec.metadata.get("related_identifiers") or []:
        scheme, identifier = rel.get("scheme"), rel.get("identifier", "")
        relation = rel.get("relation") or ""
        relation = relation[:1].upper() + relation[1:]
        if relation not in RELATION_TYPES or not identifier:
            continue
        id_type = RELATED_IDENTIFIER_TYPES.get(scheme or "")
        if scheme == "doi":
            identifier = bare_doi(identifier) or identifier
        if id_type is None:
            if not identifier.startswith(("http://", "https://")):
                continue
            id_type = "URL"
        items.append((identifier, id_type, relation))
    if not items:
        return
    container = _el(root, DATACITE, "relatedIdentifiers")
    for identifier, id_type, relation in items:
        _el(
            container,
            DATACITE,
            "relatedIdentifier",
            identifier,
            relatedIdentifierType=id_type,
            relationType=relation,
        )


def _dates(root, rec: ExportRecord) -> None:
    dates = _el(root, DATACITE, "dates")
    if rec.access_right == "embargoed" and rec.metadata.get("embargo_date"):
        _el(dates, DATACITE, "date", embargo_start(rec), dateType="Accepted")
        _el(dates, DATACITE, "date", rec.metadata["embargo_date"], dateType="Available")
    _el(dates, DATACITE, "date", rec.publication_date or rec.year, dateType="Issued")


def _subjects(root, rec: ExportRecord) -> None:
    subjects = rec.metadata.get("subjects") or []
    if not rec.keywords and not subjects:
        return
    container = _el(root, DATACITE, "subjects")
    for keyword in rec.keywords:
        _el(container, DATACITE, "subject", keyword)
    for subject in subjects:
        identifier = subject.get("identifier", "")
        _el(
            container,
            DATACITE,
            "subject",
            subject.get("term", ""),
            subjectScheme=subject.get("scheme"),
            valueURI=identifier if identifier.startswith(("http://", "https://")) else None,
        )


register(
    ExportFormat(
        name="openaire",
        label="OpenAIRE XML",
        media_type="application/xml",
        extension="xml",
        serialise=lambda record: to_openaire(record),
        kind=XML,
        order=80,
        oai=OaiMetadata("oai_openaire", SCHEMA_URL, NS, order=25, problems=lambda record: problems(record)),
    )
)
