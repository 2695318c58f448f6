"""What a reviewer sees of a draft: its metadata without people, its files, its anonymised Croissant."""

from __future__ import annotations

import dataclasses

from django.urls import reverse

from aitools import croissant
from records.exports.base import ExportRecord, site_url
from records.models import Record
from storage import services as storage_services
from storage.models import FileVersion

# Metadata a reviewer never sees: people, their contact and what identifies their group.
HIDDEN_FIELDS = frozenset({"creators", "contributors", "contact_email", "funding", "notes", "publisher"})


def anonymous_metadata(metadata: dict) -> dict:
    return {k: v for k, v in metadata.items() if k not in HIDDEN_FIELDS}


def anonymous_record(record: Record, token: str) -> ExportRecord:
    """The draft as exports see it, minus people, DOI, communities and any link to its real page."""
    rec = ExportRecord.from_record(record)
    return dataclasses.replace(
        rec,
        metadata=anonymous_metadata(rec.metadata),
        doi="",
        landing_url=site_url(reverse("review-page", args=[token])),
        communities=[],
        files=[],
    )


def draft_files(record: Record) -> list[tuple[str, FileVersion]]:
    """(key, version) of the files the draft will publish, by key."""
    if record.bucket is None:
        return []
    return [
        (working.key, working.version)
        for working in storage_services.working_files(record.bucket)
        if working.version is not None
    ]


def file_url(token: str, key: str) -> str:
    return reverse("review-file", args=[token, key])


def anonymous_croissant(record: Record, token: str) -> dict:
    files = [
        croissant.DataFile(
            key=key,
            url=site_url(file_url(token, key)),
            size=int(version.instance.size),
            sha256=version.instance.sha256.removeprefix("sha256:"),
            mimetype=version.mimetype,
            version_id=version.pk,
        )
        for key, version in draft_files(record)
    ]
    croissant.attach_columns(files)
    return croissant.to_croissant(anonymous_record(record, token), files, anonymous=True)
