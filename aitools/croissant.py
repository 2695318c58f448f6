"""Croissant 1.1 (MLCommons) JSON-LD of a record: schema.org Dataset metadata, the files, their tables.

:func:`to_croissant` builds the document from an ``ExportRecord`` and the files to describe
(:class:`DataFile`: public files for the export, the draft's files for a reviewer link): a
``cr:FileObject`` per file (contentUrl, encodingFormat, sha256, contentSize), a ``cr:FileSet`` of
the members of each ZIP or tar archive, and a ``cr:RecordSet`` per table (CSV/TSV, Parquet, JSON
lines) whose fields are the table's columns, with their types, as the table's preview keeps them
(``previews.services.tabular_schemas``; Arrow type names become schema.org data types,
:func:`croissant_type`). A table without a preview yet is described by its FileObject alone; asking
for the document then queues its preview. ``anonymous=True`` leaves out every person and
organisation (creators, contributors, affiliations, funders' grants stay; people never appear).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser

from aitools.cards import rai_properties
from previews import services as previews_services
from previews.formats import TABULAR, renderer_for
from records.exports import bibtex
from records.exports.base import ExportRecord, as_export_record, language_bcp47
from records.exports.jsonld import _person
from records.models import Record
from storage import services as storage_services

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"

# The standard @context of Croissant 1.1 (as mlcroissant writes it).
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

# Croissant's encodingFormat of each table format of the previews (mlcroissant reads these).
ENCODING_FORMATS = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "parquet": "application/x-parquet",
    "jsonl": "application/jsonlines",
}

ARCHIVES = {
    ".zip": "application/zip",
    ".tar": "application/x-tar",
    ".tar.gz": "application/x-tar",
    ".tgz": "application/x-tar",
}


@dataclass
class DataFile:
    """One file as Croissant describes it."""

    key: str
    url: str
    size: int
    sha256: str
    mimetype: str
    version_id: int | None = None
    columns: list[dict] = field(default_factory=list)


def public_files(rec: ExportRecord) -> list[DataFile]:
    """The record's files anonymous visitors may download (the export's ``files``), with checksums."""
    listed = {f["key"] for f in rec.files}
    if not listed:
        return []
    record = Record.objects.select_related("bucket").filter(pk=rec.id).first()
    if record is None or record.bucket is None or not record.can_access_files(AnonymousUser()):
        return []
    return [
        DataFile(
            key=file_key.key,
            url=rec.file_url(file_key.key),
            size=int(version.instance.size),
            sha256=version.instance.sha256.removeprefix("sha256:"),
            mimetype=version.mimetype,
            version_id=version.pk,
        )
        for file_key, version, _history in storage_services.published_files(record.bucket)
        if file_key.key in listed
    ]


def table_format(key: str) -> str | None:
    """``csv``, ``tsv``, ``parquet`` or ``jsonl``: the previews' table format of a file name, or None."""
    fmt = renderer_for(key)
    return fmt if fmt in TABULAR else None


def croissant_type(arrow_type: str) -> str:
    """The schema.org data type (Croissant ``dataType``) of a column of this Apache Arrow type."""
    name = arrow_type.strip().lower()
    if name == "bool":
        return "sc:Boolean"
    if re.fullmatch(r"u?int(8|16|32|64)", name):
        return "sc:Integer"
    if name in {"halffloat", "float", "double", "float16", "float32", "float64"} or name.startswith(
        "decimal"
    ):
        return "sc:Float"
    if name.startswith("date"):
        return "sc:Date"
    if name.startswith("timestamp"):
        return "sc:DateTime"
    if name.startswith("time"):
        return "sc:Time"
    return "sc:Text"  # string, large_string, null (an empty column), binary, nested values…


def attach_columns(files: list[DataFile], *, queue_missing: bool = True) -> None:
    """Give each table the columns its preview keeps; queue the previews of tables that have none yet
    (not those whose preview failed: that file is not a table the previews can read)."""
    tables = {f.version_id: f for f in files if f.version_id is not None and table_format(f.key)}
    schemas = previews_services.tabular_schemas(tables)
    for version_id, schema in schemas.items():
        tables[version_id].columns = [
            {"name": str(column["name"]), "type": croissant_type(str(column["type"]))}
            for column in schema.get("columns") or []
        ]
    missing = [pk for pk in tables if pk not in schemas]
    if missing and queue_missing:
        without = list(
            previews_services.versions_without_preview().filter(pk__in=missing).values_list("pk", flat=True)
        )
        if without:
            previews_services.schedule_previews(without)


def _ids(keys: list[str]) -> dict[str, str]:
    """A readable, unique JSON-LD @id for every file key."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    for key in keys:
        base = re.sub(r"[^A-Za-z0-9._/-]+", "_", key).strip("/") or "file"
        candidate, n = base, 1
        while candidate in used:
            n += 1
            candidate = f"{base}-{n}"
        used.add(candidate)
        ids[key] = candidate
    return ids


def _archive_format(key: str) -> str | None:
    lower = key.lower()
    for extension, media_type in ARCHIVES.items():
        if lower.endswith(extension):
            return media_type
    return None


def _encoding_format(data_file: DataFile) -> str:
    fmt = table_format(data_file.key)
    if fmt:
        return ENCODING_FORMATS[fmt]
    return _archive_format(data_file.key) or data_file.mimetype or "application/octet-stream"


def to_croissant(record, files: list[DataFile] | None = None, *, anonymous: bool = False) -> dict:
    """The Croissant 1.1 document (a dict) of the record and ``files`` (default: its public files)."""
    rec = as_export_record(record)
    if files is None:
        files = public_files(rec)
        attach_columns(files)
    doc: dict = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": rec.title or f"Record {rec.id}",
        "description": rec.description_text or rec.title or f"Record {rec.id}",
        "url": rec.landing_url,
    }
    _metadata(doc, rec, anonymous=anonymous)
    ids = _ids([f.key for f in files])
    doc["distribution"] = _distribution(files, ids)
    record_sets = [_record_set(f, ids[f.key]) for f in files if f.columns]
    if record_sets:
        doc["recordSet"] = record_sets
    return doc


def _metadata(doc: dict, rec: ExportRecord, *, anonymous: bool) -> None:
    md = rec.metadata
    if rec.license:
        doc["license"] = rec.license["url"]
    if not anonymous:
        doc["creator"] = [_person(p) for p in rec.creators] or [
            {"@type": "Organization", "name": rec.publisher}
        ]
        if rec.doi:
            doc["sameAs"] = rec.doi_url
            doc["identifier"] = rec.doi_url
        doc["publisher"] = {"@type": "Organization", "name": rec.publisher}
        doc["citeAs"] = bibtex.to_bibtex(rec)
    if rec.publication_date:
        doc["datePublished"] = rec.publication_date
    if md.get("version"):
        doc["version"] = md["version"]
    if rec.keywords:
        doc["keywords"] = rec.keywords
    if rec.languages:
        doc["inLanguage"] = [language_bcp47(code) for code in rec.languages]
    doc.update(rai_properties(md.get("card") or {}))


def _distribution(files: list[DataFile], ids: dict[str, str]) -> list[dict]:
    nodes: list[dict] = []
    for data_file in files:
        node_id = ids[data_file.key]
        nodes.append(
            {
                "@type": "cr:FileObject",
                "@id": node_id,
                "name": data_file.key,
                "contentUrl": data_file.url,
                "encodingFormat": _encoding_format(data_file),
                "contentSize": f"{data_file.size} B",
                "sha256": data_file.sha256,
            }
        )
        if _archive_format(data_file.key):
            nodes.append(
                {
                    "@type": "cr:FileSet",
                    "@id": f"{node_id}/contents",
                    "name": f"Files in {data_file.key}",
                    "containedIn": {"@id": node_id},
                    "encodingFormat": "application/octet-stream",
                    "includes": "**",
                }
            )
    return nodes


def _record_set(data_file: DataFile, file_id: str) -> dict:
    set_id = f"{file_id}/records"
    names = _ids([str(c["name"]) for c in data_file.columns])
    return {
        "@type": "cr:RecordSet",
        "@id": set_id,
        "name": f"Rows of {data_file.key}",
        "field": [
            {
                "@type": "cr:Field",
                "@id": f"{set_id}/{names[str(column['name'])]}",
                "name": str(column["name"]),
                "dataType": column["type"],
                "source": {"fileObject": {"@id": file_id}, "extract": {"column": str(column["name"])}},
            }
            for column in data_file.columns
        ],
    }
