"""CSL-JSON (Citation Style Language 1.0.2 data schema) item of a record."""

from __future__ import annotations

from typing import Any

from records.resource_types import by_id

from .base import as_export_record, date_parts, language_bcp47
from .registry import JSON, ExportFormat, register

# CSL name variables for the contributor roles that have one.
ROLE_VARIABLES = {"Editor": "editor", "Translator": "translator", "Supervisor": "contributor"}


def csl_type(type_id: str) -> str:
    return by_id(type_id).csl


def _name(person: dict) -> dict:
    if person.get("type") != "organizational" and person.get("family_name"):
        name = {"family": person["family_name"]}
        if person.get("given_name"):
            name["given"] = person["given_name"]
        return name
    if person.get("type") != "organizational" and "," in person.get("name", ""):
        family, given = (part.strip() for part in person["name"].split(",", 1))
        return {"family": family, "given": given} if given else {"family": family}
    return {"literal": person.get("name", "")}


def to_csl(record) -> dict:
    """A CSL-JSON item (a dict; serialise a list of these for a CSL-JSON document)."""
    rec = as_export_record(record)
    md = rec.metadata
    item: dict[str, Any] = {"id": str(rec.id), "type": csl_type(rec.resource_type_id), "title": rec.title}
    if rec.creators:
        item["author"] = [_name(p) for p in rec.creators]
    for contributor in rec.contributors:
        variable = ROLE_VARIABLES.get(contributor.get("role", ""))
        if variable:
            item.setdefault(variable, []).append(_name(contributor))
    parts = date_parts(rec.publication_date) or ([int(rec.year)] if rec.year else [])
    if parts:
        item["issued"] = {"date-parts": [parts]}
    item["publisher"] = rec.publisher
    if rec.doi:
        item["DOI"] = rec.doi
    item["URL"] = rec.url
    if rec.description_text:
        item["abstract"] = rec.description_text
    if rec.keywords:
        item["keyword"] = ", ".join(rec.keywords)
    if rec.languages:
        item["language"] = language_bcp47(rec.languages[0])
    if md.get("version"):
        item["version"] = md["version"]
    if rec.resource_type_id in ("poster", "presentation", "publication-thesis", "publication-preprint"):
        item["genre"] = rec.resource_type_label
    if md.get("notes"):
        item["note"] = md["notes"]
    return item


register(
    ExportFormat(
        name="csl",
        label="CSL-JSON",
        media_type="application/vnd.citationstyles.csl+json",
        extension="json",
        serialise=lambda record: to_csl(record),
        kind=JSON,
        order=60,
    )
)
