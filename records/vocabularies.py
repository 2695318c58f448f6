"""Human labels for the schema's controlled values (the values themselves come from the schema)."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from records.validation import PREFERRED_LANGUAGES, language_name, licenses, resource_subtypes, schema_enum

RESOURCE_TYPE_LABELS = {
    "publication": _("Publication"),
    "poster": _("Poster"),
    "presentation": _("Presentation"),
    "dataset": _("Dataset"),
    "image": _("Image"),
    "video": _("Video/Audio"),
    "software": _("Software"),
    "lesson": _("Lesson"),
    "other": _("Other"),
}
SUBTYPE_LABELS = {
    "article": _("Journal article"),
    "preprint": _("Preprint"),
    "conferencepaper": _("Conference paper"),
    "report": _("Report"),
    "thesis": _("Thesis"),
    "book": _("Book"),
    "section": _("Book section"),
    "technicalnote": _("Technical note"),
    "workingpaper": _("Working paper"),
    "proposal": _("Proposal"),
    "deliverable": _("Project deliverable"),
    "milestone": _("Project milestone"),
    "softwaredocumentation": _("Software documentation"),
    "datamanagementplan": _("Data management plan"),
    "patent": _("Patent"),
    "taxonomictreatment": _("Taxonomic treatment"),
    "annotationcollection": _("Annotation collection"),
    "peerreview": _("Peer review"),
    "figure": _("Figure"),
    "plot": _("Plot"),
    "drawing": _("Drawing"),
    "diagram": _("Diagram"),
    "photo": _("Photo"),
    "other": _("Other"),
}
ACCESS_LABELS = {
    "open": _("Open access"),
    "embargoed": _("Embargoed access"),
    "restricted": _("Restricted access"),
    "closed": _("Closed access"),
}
ACCESS_HELP = {
    "open": _("Files are public. A licence is required."),
    "embargoed": _("Files become public on the end date. A licence is required."),
    "restricted": _("Files are shown to owners only; you describe the conditions for access."),
    "closed": _("Files are shown to owners only."),
}
TITLE_TYPE_LABELS = {
    "alternative-title": _("Alternative title"),
    "subtitle": _("Subtitle"),
    "translated-title": _("Translated title"),
    "other": _("Other"),
}
SCHEME_LABELS = {"doi": "DOI", "url": "URL", "arxiv": "arXiv", "isbn": "ISBN", "issn": "ISSN", "pmid": "PMID",
                 "ark": "ARK", "urn": "URN", "ean13": "EAN-13", "lsid": "LSID", "purl": "PURL", "swh": "SWHID",
                 "ads": "ADS", "w3id": "w3id", "handle": "Handle", "bibcode": "Bibcode", "other": _("Other")}  # fmt: skip


def camel_words(value: str) -> str:
    """``IsSupplementTo`` → ``is supplement to`` (labels for DataCite's relation and role names)."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", value).lower().capitalize()


def resource_type_label(rtype: str, subtype: str = "") -> str:
    if subtype:
        return str(SUBTYPE_LABELS.get(subtype, subtype))
    return str(RESOURCE_TYPE_LABELS.get(rtype, rtype))


def resource_type_choices():
    types = schema_enum("properties", "resource_type", "properties", "type")
    return [(value, RESOURCE_TYPE_LABELS.get(value, value)) for value in types]


def subtype_choices(rtype: str):
    return [("", "—")] + [(v, SUBTYPE_LABELS.get(v, v)) for v in resource_subtypes().get(rtype, [])]


def relation_choices():
    return [(v, camel_words(v)) for v in schema_enum("$defs", "relation_type")]


def role_choices():
    return [(v, camel_words(v)) for v in schema_enum("$defs", "contributor_role")]


def scheme_choices():
    schemes = schema_enum("properties", "related_identifiers", "items", "properties", "scheme")
    return [(v, SCHEME_LABELS.get(v, v)) for v in schemes]


def title_type_choices():
    types = schema_enum("properties", "additional_titles", "items", "properties", "type")
    return [(v, TITLE_TYPE_LABELS.get(v, v)) for v in types]


def license_choices():
    options = [(lic["id"], f"{lic['name']} ({lic['id']})") for lic in licenses().values()]
    return [("", _("— choose a licence —")), *options]


def common_languages() -> list[tuple[str, str]]:
    """ISO 639-3 codes with names for the language picker: English and Swedish first, then the
    major languages (those with a two-letter code), by name."""
    import pycountry

    major = sorted(
        ((lang.alpha_3, lang.name) for lang in pycountry.languages if hasattr(lang, "alpha_2")),
        key=lambda item: item[1],
    )
    first = [(code, language_name(code)) for code in PREFERRED_LANGUAGES]
    return first + [item for item in major if item[0] not in PREFERRED_LANGUAGES]
