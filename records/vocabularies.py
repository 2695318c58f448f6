"""Human labels for the schema's controlled values (the values themselves come from the schema)."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from records import resource_types
from records.validation import PREFERRED_LANGUAGES, language_label, licenses, schema_enum

# Type → its label in the reader's language (the labels, like every crosswalk, are in records.resource_types).
RESOURCE_TYPE_LABELS = {row.type: gettext_lazy(row.label) for row in resource_types.types()}
ACCESS_LABELS = {
    "open": _("Open access"),
    "embargoed": _("Embargoed access"),
    "restricted": _("Restricted access"),
    "closed": _("Closed access"),
}
THESIS_LEVEL_LABELS = {
    "bachelor": _("Bachelor's thesis"),
    "master": _("Master's thesis"),
    "doctoral": _("Doctoral thesis"),
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
RELATION_LABELS = {
    "IsCitedBy": pgettext_lazy("relation type", "Is cited by"),
    "Cites": pgettext_lazy("relation type", "Cites"),
    "IsSupplementTo": pgettext_lazy("relation type", "Is supplement to"),
    "IsSupplementedBy": pgettext_lazy("relation type", "Is supplemented by"),
    "IsContinuedBy": pgettext_lazy("relation type", "Is continued by"),
    "Continues": pgettext_lazy("relation type", "Continues"),
    "IsDescribedBy": pgettext_lazy("relation type", "Is described by"),
    "Describes": pgettext_lazy("relation type", "Describes"),
    "HasMetadata": pgettext_lazy("relation type", "Has metadata"),
    "IsMetadataFor": pgettext_lazy("relation type", "Is metadata for"),
    "HasVersion": pgettext_lazy("relation type", "Has version"),
    "IsVersionOf": pgettext_lazy("relation type", "Is version of"),
    "IsNewVersionOf": pgettext_lazy("relation type", "Is new version of"),
    "IsPreviousVersionOf": pgettext_lazy("relation type", "Is previous version of"),
    "IsPartOf": pgettext_lazy("relation type", "Is part of"),
    "HasPart": pgettext_lazy("relation type", "Has part"),
    "IsPublishedIn": pgettext_lazy("relation type", "Is published in"),
    "IsReferencedBy": pgettext_lazy("relation type", "Is referenced by"),
    "References": pgettext_lazy("relation type", "References"),
    "IsDocumentedBy": pgettext_lazy("relation type", "Is documented by"),
    "Documents": pgettext_lazy("relation type", "Documents"),
    "IsCompiledBy": pgettext_lazy("relation type", "Is compiled by"),
    "Compiles": pgettext_lazy("relation type", "Compiles"),
    "IsVariantFormOf": pgettext_lazy("relation type", "Is variant form of"),
    "IsOriginalFormOf": pgettext_lazy("relation type", "Is original form of"),
    "IsIdenticalTo": pgettext_lazy("relation type", "Is identical to"),
    "IsReviewedBy": pgettext_lazy("relation type", "Is reviewed by"),
    "Reviews": pgettext_lazy("relation type", "Reviews"),
    "IsDerivedFrom": pgettext_lazy("relation type", "Is derived from"),
    "IsSourceOf": pgettext_lazy("relation type", "Is source of"),
    "IsRequiredBy": pgettext_lazy("relation type", "Is required by"),
    "Requires": pgettext_lazy("relation type", "Requires"),
    "IsObsoletedBy": pgettext_lazy("relation type", "Is obsoleted by"),
    "Obsoletes": pgettext_lazy("relation type", "Obsoletes"),
    "IsCollectedBy": pgettext_lazy("relation type", "Is collected by"),
    "Collects": pgettext_lazy("relation type", "Collects"),
    "IsTranslationOf": pgettext_lazy("relation type", "Is translation of"),
    "HasTranslation": pgettext_lazy("relation type", "Has translation"),
}
ROLE_LABELS = {
    "ContactPerson": _("Contact person"),
    "DataCollector": _("Data collector"),
    "DataCurator": _("Data curator"),
    "DataManager": _("Data manager"),
    "Distributor": _("Distributor"),
    "Editor": _("Editor"),
    "HostingInstitution": _("Hosting institution"),
    "Producer": _("Producer"),
    "ProjectLeader": _("Project leader"),
    "ProjectManager": _("Project manager"),
    "ProjectMember": _("Project member"),
    "RegistrationAgency": _("Registration agency"),
    "RegistrationAuthority": _("Registration authority"),
    "RelatedPerson": _("Related person"),
    "Researcher": _("Researcher"),
    "ResearchGroup": _("Research group"),
    "RightsHolder": _("Rights holder"),
    "Sponsor": _("Sponsor"),
    "Supervisor": _("Supervisor"),
    "Translator": _("Translator"),
    "WorkPackageLeader": _("Work package leader"),
    "Other": _("Other"),
}
SCHEME_LABELS = {
    "doi": "DOI",
    "url": "URL",
    "arxiv": "arXiv",
    "isbn": "ISBN",
    "issn": "ISSN",
    "pmid": "PMID",
    "ark": "ARK",
    "urn": "URN",
    "ean13": "EAN-13",
    "lsid": "LSID",
    "purl": "PURL",
    "swh": "SWHID",
    "ads": "ADS",
    "w3id": "w3id",
    "handle": "Handle",
    "bibcode": "Bibcode",
    "other": _("Other"),
}


def camel_words(value: str) -> str:
    """``IsSupplementTo`` → ``is supplement to`` (labels for DataCite's relation and role names)."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", value).lower().capitalize()


def resource_type_label(rtype: str, subtype: str = "") -> str:
    """The label of a type or subtype in the reader's language (a value the table lacks is shown as is)."""
    row = resource_types.BY_ID.get(f"{rtype}-{subtype}" if subtype else rtype)
    return row.translated_label() if row else (subtype or rtype)


def resource_type_choices():
    return [(row.type, gettext_lazy(row.label)) for row in resource_types.types()]


def subtype_choices(rtype: str):
    return [("", "—")] + [(row.subtype, gettext_lazy(row.label)) for row in resource_types.subtypes(rtype)]


def relation_choices():
    return [(v, RELATION_LABELS.get(v) or camel_words(v)) for v in schema_enum("$defs", "relation_type")]


def role_choices():
    return [(v, ROLE_LABELS.get(v) or camel_words(v)) for v in schema_enum("$defs", "contributor_role")]


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
        (
            (lang.alpha_3, language_label(lang.alpha_3))
            for lang in pycountry.languages
            if hasattr(lang, "alpha_2")
        ),
        key=lambda item: item[1].casefold(),
    )
    first = [(code, language_label(code)) for code in PREFERRED_LANGUAGES]
    return first + [item for item in major if item[0] not in PREFERRED_LANGUAGES]
