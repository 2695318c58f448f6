"""The public JSON of a record: its metadata minus private fields, with id, DOI, links, dates and files."""

from __future__ import annotations

from datetime import datetime

from .base import as_export_record, community_url
from .registry import JSON, ExportFormat, export_formats, register


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def to_json(record) -> dict:
    """A JSON-serialisable dict; ``contact_email`` and every e-mail address are absent."""
    rec = as_export_record(record)
    links: dict[str, str | dict[str, str]] = {"self": rec.export_url("json"), "html": rec.landing_url}
    if rec.doi:
        links["doi"] = rec.doi_url
    links["exports"] = {name: rec.export_url(name) for name in export_formats()}
    return {
        "id": rec.id,
        "doi": rec.doi or None,
        "state": rec.state,
        "created": _iso(rec.created),
        "updated": _iso(rec.last_modified),
        "published": _iso(rec.published_at),
        "links": links,
        "metadata": rec.metadata,
        "files": [
            {
                "key": f["key"],
                "size": f["size"],
                "checksum": f"md5:{f['md5']}" if f["md5"] else None,
                "mimetype": f["mimetype"],
                "links": {"self": rec.file_url(f["key"])},
            }
            for f in rec.files
        ],
        "communities": [
            {"slug": c["slug"], "title": c["title"], "links": {"html": community_url(c["slug"])}}
            for c in rec.communities
        ],
    }


register(
    ExportFormat(
        name="json",
        label="JSON",
        media_type="application/json",
        extension="json",
        serialise=lambda record: to_json(record),
        kind=JSON,
        order=10,
    )
)
