"""The JSON shapes of Zenodo's legacy API: depositions, deposition files, FilesREST objects and records.

Absolute links start at ``SITE_URL``. Records are not versioned here (files are): a record is its own
concept (``conceptrecid`` = ``recid``, ``conceptdoi`` = ``doi``) and its own latest version.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.urls import reverse

from records.doi import get_provider
from records.models import Record, public_metadata
from stats.services import Totals
from storage import services as storage_services
from storage.models import FileKey, FileVersion
from zenodo import mapping


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def absolute(name: str, *args) -> str:
    return settings.SITE_URL + reverse(f"zenodo:{name}", args=args)


def bucket_url(record: Record) -> str:
    return absolute("bucket", record.files_bucket().pk)


def object_url(record: Record, key: str) -> str:
    return f"{bucket_url(record)}/{quote(key)}"


def doi_url(doi: str) -> str:
    return f"https://doi.org/{doi}"


def deposition_state(record: Record) -> str:
    if record.is_draft():
        return "unsubmitted"
    return "inprogress" if record.has_edit_draft() else "done"


def prereserved_doi(record: Record) -> str:
    return record.doi or get_provider().doi_for(record)


def files_editable(record: Record) -> bool:
    return record.is_draft() or (record.is_published() and record.has_edit_draft())


def deposition_file(record: Record, file_key: FileKey, version: FileVersion) -> dict:
    return {
        "id": str(file_key.pk),
        "filename": file_key.key,
        "filesize": version.instance.size,
        "checksum": version.instance.md5_hex,
        "links": {
            "self": absolute("deposition-file", record.pk, file_key.pk),
            "download": object_url(record, file_key.key),
        },
    }


def deposition_files(
    record: Record,
    working: list[storage_services.WorkingFile] | None = None,
    published: list[storage_services.PublishedFile] | None = None,
) -> list[dict]:
    """The files the next published state holds (while editable), else the published ones; ``working``
    and ``published`` when already read (``working_files_by_bucket``, ``published_files_by_bucket``)."""
    if files_editable(record):
        if working is None:
            working = storage_services.working_files(record.files_bucket())
        return [deposition_file(record, wf.file, wf.version) for wf in working if wf.version is not None]
    if published is None:
        published = storage_services.published_files(record.files_bucket())
    return [deposition_file(record, fk, current) for fk, current, _h in published]


def _deposition_links(record: Record) -> dict:
    html = settings.SITE_URL + record.get_absolute_url()
    links = {
        "self": absolute("deposition", record.pk),
        "html": html,
        "files": absolute("deposition-files", record.pk),
        "bucket": bucket_url(record),
        "latest_draft": absolute("deposition", record.pk),
        "latest_draft_html": html,
    }
    for action in ("publish", "edit", "discard", "newversion"):
        links[action] = absolute("deposition-action", record.pk, action)
    if not record.is_draft():
        links.update(
            record=absolute("record", record.pk),
            record_html=html,
            latest=absolute("record-latest", record.pk),
            latest_html=html,
            doi=doi_url(record.doi),
        )
    return links


def deposition(
    record: Record,
    working: list[storage_services.WorkingFile] | None = None,
    published: list[storage_services.PublishedFile] | None = None,
) -> dict:
    metadata = mapping.to_legacy(record.working_metadata, communities=record.requested_communities)
    doi = prereserved_doi(record)
    metadata["prereserve_doi"] = {"doi": doi, "recid": record.pk}
    if record.doi:
        metadata["doi"] = record.doi
    data = {
        "id": record.pk,
        "record_id": record.pk,
        "conceptrecid": str(record.pk),
        "owner": record.owner_id,
        "created": _iso(record.created),
        "modified": _iso(record.updated),
        "title": record.working_metadata.get("title", ""),
        "state": deposition_state(record),
        "submitted": not record.is_draft(),
        "metadata": metadata,
        "files": deposition_files(record, working, published),
        "links": _deposition_links(record),
    }
    if record.doi:
        data.update(doi=record.doi, doi_url=doi_url(record.doi), conceptdoi=record.doi)
    return data


def files_object(record: Record, version: FileVersion) -> dict:
    """A FilesREST object version (the answer to ``PUT {bucket}/{key}``)."""
    key = version.file.key
    url = object_url(record, key)
    return {
        "key": key,
        "mimetype": version.mimetype,
        "checksum": version.instance.md5,
        "size": version.instance.size,
        "version_id": str(version.pk),
        "created": _iso(version.created),
        "updated": _iso(version.published_at or version.created),
        "is_head": True,
        "delete_marker": False,
        "links": {"self": url, "version": f"{url}?versionId={version.pk}", "uploads": f"{url}?uploads"},
    }


# --- Records API ----------------------------------------------------------------------------------


def _record_metadata(record: Record, communities: list[str]) -> dict:
    portal = public_metadata(record.metadata)
    metadata = mapping.to_legacy(portal)
    metadata.pop("upload_type", None)
    for key in list(metadata):
        if key.endswith("_type") and key != "upload_type":
            metadata.pop(key)
    resource_type = portal.get("resource_type") or {}
    metadata["resource_type"] = {
        key: value for key, value in resource_type.items() if key in ("type", "subtype")
    }
    if portal.get("license"):
        metadata["license"] = {"id": mapping.zenodo_license(portal["license"])}
    metadata["communities"] = [{"id": slug} for slug in communities]
    metadata["doi"] = record.doi
    metadata["relations"] = {
        "version": [
            {
                "index": 0,
                "is_last": True,
                "count": 1,
                "parent": {"pid_type": "recid", "pid_value": str(record.pk)},
                "last_child": {"pid_type": "recid", "pid_value": str(record.pk)},
            }
        ]
    }
    return metadata


def record_files(record: Record, published: list[storage_services.PublishedFile] | None = None) -> list[dict]:
    """The record's current files; ``published`` when already read (``published_files_by_bucket``)."""
    if published is None:
        published = storage_services.published_files(record.files_bucket())
    return [
        {
            "id": str(current.pk),
            "key": fk.key,
            "size": current.instance.size,
            "checksum": current.instance.md5,
            "mimetype": current.mimetype,
            "links": {"self": absolute("record-file-content", record.pk, fk.key)},
        }
        for fk, current, _h in published
    ]


def record(
    record: Record,
    *,
    communities: list[str],
    show_files: bool,
    published: list[storage_services.PublishedFile] | None = None,
    usage: Totals | None = None,
) -> dict:
    """A published record in the shape of Zenodo's ``/api/records/<id>``, with its usage ``stats``
    (records are their own only version, so the ``version_*`` counts are the record's)."""
    html = settings.SITE_URL + record.get_absolute_url()
    counts = (usage or Totals()).as_dict()
    return {
        "id": record.pk,
        "recid": str(record.pk),
        "conceptrecid": str(record.pk),
        "doi": record.doi,
        "conceptdoi": record.doi,
        "doi_url": doi_url(record.doi),
        "created": _iso(record.published_at or record.created),
        "updated": _iso(record.updated),
        "modified": _iso(record.updated),
        "title": record.metadata.get("title", ""),
        "metadata": _record_metadata(record, communities),
        "files": record_files(record, published) if show_files else [],
        "links": {
            "self": absolute("record", record.pk),
            "html": html,
            "doi": doi_url(record.doi),
            "files": absolute("record-files", record.pk),
            "latest": absolute("record-latest", record.pk),
            "latest_html": html,
            "versions": absolute("record-versions", record.pk),
        },
        "status": "published",
        "state": "done",
        "submitted": True,
        "owners": [record.owner_id],
        "stats": {**counts, **{f"version_{name}": value for name, value in counts.items()}},
    }
