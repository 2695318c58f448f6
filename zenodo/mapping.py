"""Zenodo's legacy deposit metadata ↔ the portal's record metadata (records/schemas), both ways.

Most fields have the same name and meaning (the portal's schema grew from Zenodo's). The
differences: ``upload_type`` + ``publication_type``/``image_type`` are ``resource_type``; one
``language`` is ``languages``; a creator's ``affiliation`` string is ``affiliations``; a
contributor's ``type`` is its ``role``; licences are Zenodo's lower-case ids (``cc-by-4.0``) here and
SPDX ids there; relations are ``isSupplementTo`` here and ``IsSupplementTo`` there; the communities
(``[{"identifier": slug}]``) are not metadata but inclusion requests opened at publish.

Zenodo fields the portal has no place for (grants, imprint, thesis, a conference's acronym, URL and session…)
are not stored;
``doi`` and ``prereserve_doi`` are the record's own (a client sends back what it read) unless a draft
names another DOI, which then becomes its external DOI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from identifiers import DOI_RE
from records.validation import FieldError, licenses, normalize_doi

# Zenodo's licence ids that are not an SPDX id in another case (its older vocabulary).
LICENSE_ALIASES = {
    "cc-zero": "CC0-1.0",
    "cc0": "CC0-1.0",
    "cc-by": "CC-BY-4.0",
    "cc-by-sa": "CC-BY-SA-4.0",
    "cc-by-nc": "CC-BY-NC-4.0",
    "cc-by-nd": "CC-BY-ND-4.0",
    "cc-by-nc-sa": "CC-BY-NC-SA-4.0",
    "cc-by-nc-nd": "CC-BY-NC-ND-4.0",
    "gpl-2.0": "GPL-2.0-only",
    "gpl-3.0": "GPL-3.0-only",
    "lgpl-2.1": "LGPL-2.1-only",
    "lgpl-3.0": "LGPL-3.0-only",
    "agpl-3.0": "AGPL-3.0-only",
    "apache2.0": "Apache-2.0",
    "bsd-license": "BSD-3-Clause",
    "mit-license": "MIT",
    "odc-by": "ODC-By-1.0",
    "odc-odbl": "ODbL-1.0",
    "odc-pddl": "PDDL-1.0",
}

# The Zenodo name of a portal field, for error messages ("field": "metadata.upload_type").
FIELD_NAMES = {"resource_type": "upload_type", "languages": "language", "affiliations": "affiliation"}

# Legacy fields copied as they are.
SAME = (
    "title",
    "description",
    "publication_date",
    "access_right",
    "embargo_date",
    "access_conditions",
    "keywords",
    "version",
    "notes",
    "references",
    "subjects",
    "publisher",
    "journal_title",
    "journal_volume",
    "journal_issue",
    "journal_pages",
    "conference_title",
    "conference_place",
    "conference_dates",
)

ARXIV_RE = re.compile(r"^(arxiv:)?\d{4}\.\d{4,5}(v\d+)?$", re.IGNORECASE)


class MappingError(Exception):
    """Zenodo metadata that cannot be mapped: ``errors`` name the fields."""

    def __init__(self, message: str, errors: list[dict]) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


@dataclass
class Deposit:
    """What a deposition's ``metadata`` asks for, in the portal's terms."""

    metadata: dict
    communities: list[str] | None
    external_doi: str | None


def spdx_license(value: Any) -> str | None:
    """The SPDX id of a Zenodo licence id (``cc-by-4.0``, ``CC-BY-4.0``, ``{"id": "cc0-1.0"}``)."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or not value.strip():
        return None
    wanted = value.strip().lower()
    if wanted in LICENSE_ALIASES:
        return LICENSE_ALIASES[wanted]
    for identifier in licenses():
        if identifier.lower() == wanted:
            return identifier
    return None


def zenodo_license(spdx: str) -> str:
    return spdx.lower()


def _error(field: str, message: str) -> dict:
    return {"field": f"metadata.{field}", "message": message, "messages": [message]}


def _person(item: Any, *, contributor: bool) -> Any:
    if not isinstance(item, dict):
        return item
    person: dict[str, Any] = {"name": item.get("name", "")}
    for key in ("given_name", "family_name", "type"):
        if isinstance(item.get(key), str) and not (contributor and key == "type"):
            person[key] = item[key]
    if item.get("orcid"):
        person["orcid"] = item["orcid"]
    affiliation = item.get("affiliation")
    if isinstance(affiliation, str) and affiliation.strip():
        person["affiliations"] = [{"name": affiliation}]
    elif isinstance(item.get("affiliations"), list):
        person["affiliations"] = item["affiliations"]
    if contributor:
        person["role"] = item.get("type") or item.get("role") or "Other"
    return person


def _scheme(identifier: str) -> str:
    if DOI_RE.match(normalize_doi(identifier)):
        return "doi"
    if ARXIV_RE.match(identifier):
        return "arxiv"
    if identifier.startswith(("http://", "https://")):
        return "url"
    return "other"


def _relation_to_portal(relation: Any) -> Any:
    return relation[:1].upper() + relation[1:] if isinstance(relation, str) and relation else relation


def _related(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    identifier = str(item.get("identifier") or "").strip()
    related = {
        "identifier": identifier,
        "scheme": item.get("scheme") or _scheme(identifier),
        "relation": _relation_to_portal(item.get("relation")),
    }
    if item.get("resource_type"):
        related["resource_type"] = item["resource_type"]
    return related


def _communities(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise MappingError(
            _("The metadata has errors."),
            [_error("communities", _("Give the communities as a list of {“identifier”: …} objects."))],
        )
    slugs = []
    for item in value:
        slug = item.get("identifier") or item.get("id") if isinstance(item, dict) else item
        if not isinstance(slug, str) or not slug:
            raise MappingError(
                _("The metadata has errors."),
                [_error("communities", _("Each community needs an “identifier”."))],
            )
        slugs.append(slug)
    return slugs


def _resource_type(legacy: dict, metadata: dict) -> None:
    upload_type = legacy.get("upload_type")
    if isinstance(upload_type, dict):  # the records API's shape, sent back by some clients
        upload_type = upload_type.get("type")
    if not upload_type:
        return
    resource_type = {"type": upload_type}
    subtype = legacy.get(f"{upload_type}_type")
    if subtype:
        resource_type["subtype"] = subtype
    metadata["resource_type"] = resource_type


def _license(legacy: dict, metadata: dict) -> None:
    value = legacy.get("license")
    if value in (None, "", {}):
        return
    spdx = spdx_license(value)
    if spdx is None:
        shown = value.get("id") if isinstance(value, dict) else value
        raise MappingError(
            _("The metadata has errors."),
            [_error("license", _("“%(license)s” is not a known licence id.") % {"license": shown})],
        )
    metadata["license"] = spdx


def _own_doi(value: Any, own: set[str]) -> str | None:
    """An external DOI the metadata names, or None when it is the record's own (or none)."""
    if not isinstance(value, str) or not value.strip():
        return None
    doi = normalize_doi(value.strip())
    return None if doi.lower() in own else doi


def to_portal(legacy: Any, *, own_dois: set[str] | None = None) -> Deposit:
    """The portal's metadata for a deposition's ``metadata`` (MappingError when it cannot be read)."""
    if not isinstance(legacy, dict):
        raise MappingError(
            _("The metadata must be a JSON object."), [_error("", _("The metadata must be a JSON object."))]
        )
    metadata: dict[str, Any] = {key: legacy[key] for key in SAME if key in legacy}
    metadata.setdefault("access_right", "open")
    metadata.setdefault("publication_date", timezone.localdate().isoformat())
    _resource_type(legacy, metadata)
    _license(legacy, metadata)
    # a value of the wrong type is passed on as it is, so validation names its field
    for key, contributor in (("creators", False), ("contributors", True)):
        if key in legacy:
            value = legacy[key]
            metadata[key] = (
                [_person(p, contributor=contributor) for p in value] if isinstance(value, list) else value
            )
    if legacy.get("language"):
        language = legacy["language"]
        metadata["languages"] = [language] if isinstance(language, str) else language
    if "related_identifiers" in legacy:
        value = legacy["related_identifiers"]
        metadata["related_identifiers"] = [_related(r) for r in value] if isinstance(value, list) else value
    communities = _communities(legacy["communities"]) if "communities" in legacy else None
    own = {d.lower() for d in own_dois or set() if d}
    prereserved = legacy.get("prereserve_doi")
    if isinstance(prereserved, dict) and isinstance(prereserved.get("doi"), str):
        own.add(prereserved["doi"].lower())
    return Deposit(metadata, communities, _own_doi(legacy.get("doi"), own))


def zenodo_field(error: FieldError) -> str:
    """``metadata.creators.0.affiliation`` for the portal's ``$.creators[0].affiliations``."""
    parts = [str(FIELD_NAMES.get(str(p), p)) for p in error.path]
    if parts[:1] == ["upload_type"] and parts[1:] == ["subtype"]:
        parts = ["publication_type"]
    elif parts[:1] == ["upload_type"]:
        parts = parts[:1]
    return ".".join(["metadata", *parts]) if parts else "metadata"


def portal_errors(errors: list[FieldError]) -> list[dict]:
    return [
        {"field": zenodo_field(e), "message": e.message, "messages": [e.message], "code": e.code}
        for e in errors
    ]


# --- portal → Zenodo ----------------------------------------------------------------------------


def _legacy_person(person: Any, *, contributor: bool) -> Any:
    if not isinstance(person, dict):
        return person
    item: dict[str, Any] = {"name": person.get("name", "")}
    affiliations = [a.get("name") for a in person.get("affiliations") or [] if isinstance(a, dict)]
    item["affiliation"] = "; ".join(a for a in affiliations if a) or None
    if person.get("orcid"):
        item["orcid"] = person["orcid"]
    if contributor:
        item["type"] = person.get("role", "Other")
    return item


def _legacy_related(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    relation = item.get("relation") or ""
    related = {
        "identifier": item.get("identifier"),
        "relation": relation[:1].lower() + relation[1:],
        "scheme": item.get("scheme"),
    }
    if item.get("resource_type"):
        related["resource_type"] = item["resource_type"]
    return related


def to_legacy(metadata: dict, *, communities: list[str] | None = None) -> dict:
    """A deposition's ``metadata`` (Zenodo's legacy form) for the portal's metadata."""
    legacy: dict[str, Any] = {key: metadata[key] for key in SAME if key in metadata}
    resource_type = metadata.get("resource_type") or {}
    if resource_type.get("type"):
        legacy["upload_type"] = resource_type["type"]
        if resource_type.get("subtype"):
            legacy[f"{resource_type['type']}_type"] = resource_type["subtype"]
    if metadata.get("license"):
        legacy["license"] = zenodo_license(metadata["license"])
    legacy["creators"] = [_legacy_person(p, contributor=False) for p in metadata.get("creators") or []]
    if metadata.get("contributors"):
        legacy["contributors"] = [_legacy_person(p, contributor=True) for p in metadata["contributors"]]
    if metadata.get("languages"):
        legacy["language"] = metadata["languages"][0]
    if metadata.get("related_identifiers"):
        legacy["related_identifiers"] = [_legacy_related(r) for r in metadata["related_identifiers"]]
    if communities:
        legacy["communities"] = [{"identifier": slug} for slug in communities]
    return legacy
