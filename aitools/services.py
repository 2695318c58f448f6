"""Verbs of the AI tools app: anonymous reviewer links, CITATION.cff import."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import secrets
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from aitools import cff
from aitools.models import ReviewLink
from audit.services import audit
from records import services as records_services
from records.models import Record
from storage import services as storage_services
from storage.models import FileVersion

logger = logging.getLogger(__name__)


def _read_all(stream: Any, length: int) -> bytes:
    parts, remaining = [], length
    while remaining > 0:
        block = stream.read(min(remaining, 1 << 20))
        if not block:
            break
        parts.append(bytes(block))
        remaining -= len(block)
    return b"".join(parts)


# --- Anonymous reviewer links ------------------------------------------------------------------


class ReviewLinkRefused(Exception):
    """The link cannot be made (the record was published, the date is wrong…); the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def can_have_review_links(record: Record) -> bool:
    """Only drafts never published: a published record is public anyway, and its edit drafts are not
    anonymous (the public record names its creators)."""
    return record.is_draft() and record.published_at is None and not record.doi_is_external


def create_review_link(
    record: Record, user: User, expires_on: dt.date, label: str = ""
) -> tuple[ReviewLink, str]:
    """A new link for reviewers until ``expires_on`` (inclusive); returns it and its secret token."""
    if not record.can_edit(user):
        raise ReviewLinkRefused(_("Only the record's owners can make reviewer links."))
    if not can_have_review_links(record):
        raise ReviewLinkRefused(_("Reviewer links are for drafts that have never been published."))
    today = timezone.localdate()
    if expires_on < today:
        raise ReviewLinkRefused(_("The expiry date is in the past."))
    if expires_on > today + dt.timedelta(days=settings.REVIEW_LINK_MAX_DAYS):
        raise ReviewLinkRefused(
            _("A reviewer link lasts at most %(days)d days.") % {"days": settings.REVIEW_LINK_MAX_DAYS}
        )
    token = secrets.token_urlsafe(32)
    link = ReviewLink.objects.create(
        record=record, token_hash=token_hash(token), label=label[:200], created_by=user, expires_on=expires_on
    )
    audit(user, "create_review_link", record, after={"link": link.pk, "expires_on": expires_on.isoformat()})
    return link, token


def revoke_review_link(link: ReviewLink, user: User) -> None:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        audit(user, "revoke_review_link", link.record, after={"link": link.pk})


def open_review_link(token: str) -> ReviewLink | None:
    """The active link of ``token`` whose record is still a never-published draft, counting the visit."""
    if not token or len(token) > 100:
        return None
    link = (
        ReviewLink.objects.active()
        .select_related("record", "record__bucket")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if link is None or not can_have_review_links(link.record):
        return None
    ReviewLink.objects.filter(pk=link.pk).update(visits=F("visits") + 1, last_visit=timezone.now())
    return link


# --- CITATION.cff import ----------------------------------------------------------------------


def _reader(version: FileVersion) -> tuple[Any, Any]:
    instance = version.instance
    backend = instance.location.backend()

    def read(start: int, length: int) -> bytes:
        with backend.open_read(instance.path, start, length) as stream:
            return _read_all(stream, length)

    return backend, read


def cff_candidates(record: Record) -> list[str]:
    """Keys of the draft's files a CITATION.cff can be read from: a top-level CITATION.cff, archives."""
    if record.bucket is None:
        return []
    keys = [w.key for w in storage_services.working_files(record.bucket) if w.version is not None]
    return [k for k in keys if k == cff.FILENAME] + [k for k in keys if cff.is_archive(k)]


def read_cff_from_file(record: Record, key: str) -> bytes:
    """The CITATION.cff bytes in the draft's file ``key`` (the file itself or the archive's top-level
    one); ``CffError`` if there is none or the archive cannot be read."""
    files = storage_services.working_files(record.bucket) if record.bucket is not None else []
    version = next((w.version for w in files if w.key == key), None)
    if version is None or key not in cff_candidates(record):
        raise cff.CffError(_("There is no file “%(key)s” to read a CITATION.cff from.") % {"key": key})
    limit = settings.CFF_IMPORT_MAX_BYTES
    backend, read = _reader(version)
    size = int(version.instance.size)
    if key == cff.FILENAME:
        if size > limit:
            raise cff.CffError(_("The CITATION.cff is too large."))
        return read(0, size)
    if key.lower().endswith(".zip"):
        stream = io.BufferedReader(cff.RangeFile(read, size), buffer_size=64 * 1024)
    else:
        stream = backend.open_read(version.instance.path)
    with stream:
        found = cff.find_in_archive(key, stream, limit, settings.CFF_ARCHIVE_MAX_MEMBERS)
    if found is None:
        raise cff.CffError(_("There is no CITATION.cff at the top of %(key)s.") % {"key": key})
    return found


def import_cff(record: Record, user: User, raw: bytes) -> list:
    """Replace the draft's title, creators, version, licence, keywords… with the CITATION.cff's
    (after the depositor confirmed them); returns the problems the form will show."""
    if not record.can_edit(user):
        raise cff.CffError(_("Only the record's owners can change it."))
    imported = cff.to_metadata(cff.parse(raw))
    merged = cff.merge(record.working_metadata, imported)
    return records_services.update_metadata(record, user, merged, keep_invalid=True)
