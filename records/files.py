"""A record's files: who may download them (and why not), downloads (one file or all as a ZIP),
and the files page with the uploader. The bytes live in the record's storage bucket."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from previews import services as preview_services
from previews.models import PreviewKind
from records.access import get_record_for_user
from records.models import Record
from stats import services as stats_services
from stats.models import EventKind
from storage import downloads
from storage import services as storage_services
from storage.sizes import format_size


def files_editable(record: Record) -> bool:
    """Files change only in a draft or in the edit draft of a published record."""
    return record.is_draft() or (record.is_published() and record.has_edit_draft())


def require_editable(record: Record) -> None:
    """``NotEditable`` with the reason a record's files cannot change now."""
    if not files_editable(record):
        if record.is_published():
            raise storage_services.NotEditable(_("Open the record for editing before changing its files."))
        raise storage_services.NotEditable(_("The files of this record can no longer be changed."))


def download_url(record_id: int, key: str, version: int | str | None = None) -> str:
    url = reverse("storage:download", args=[record_id, key])
    return f"{url}?version={version}" if version is not None else url


def current_files(record: Record) -> list[dict]:
    """The current published files (``storage.services.current_files``) with their download ``url``."""
    if record.bucket is None:  # a record without a bucket has no files
        return []
    return [
        {**item, "url": download_url(record.pk, item["key"])}
        for item in storage_services.current_files(record.bucket)
    ]


def _record_for_files(request, pk: int) -> Record:
    return get_record_for_user(
        request.user, pk
    )  # drafts are private: indistinguishable from a missing record


def _is_privileged(record: Record, user) -> bool:
    return bool(user.is_authenticated and (user.is_staff or record.is_owner(user)))


def access_denial(record: Record, user) -> tuple[int, str] | None:
    """(status, reason) when ``user`` may not download the record's files; None when they may."""
    if record.can_access_files(user):
        return None
    if record.is_withdrawn():
        reason = record.withdrawal_reason or ""
        return 410, _(
            "This record has been withdrawn; its files are preserved but no longer available. Reason: %(reason)s"
        ) % {"reason": reason}
    access = record.access_right
    if access == "embargoed":
        return 403, _("The files of this record are under embargo until %(date)s.") % {
            "date": record.metadata.get("embargo_date", "")
        }
    if access == "restricted":
        return 403, _(
            "The files of this record are restricted: only its owners and the staff can download them."
        )
    if access == "closed":
        return 403, _("The files of this record are closed: only its owners can download them.")
    return 403, _("The files of this record are not available to you.")


def denied_response(request, record: Record, status: int, reason: str) -> HttpResponse:
    response = render(
        request,
        "storage/access_denied.html",
        {
            "record": record,
            "reason": reason,
            "conditions": record.metadata.get("access_conditions", "")
            if record.access_right == "restricted"
            else "",
        },
        status=status,
    )
    # a 410 is cacheable by default: make browsers ask again, so a reinstatement is seen at once
    patch_cache_control(response, no_cache=True)
    return response


@require_http_methods(["GET", "HEAD"])
def download(request, pk: int, key: str):
    """``/records/<id>/files/<key>`` (``?version=N`` an older version, ``?download=1`` as attachment)."""
    record = _record_for_files(request, pk)
    denial = access_denial(record, request.user)
    if denial is not None:
        return denied_response(request, record, *denial)
    key = unicodedata.normalize("NFC", key)
    if record.bucket is None:  # a record without a bucket has no files
        raise Http404
    try:
        version = storage_services.find_version(
            record.bucket, key, request.GET.get("version"), privileged=_is_privileged(record, request.user)
        )
    except storage_services.FileMissing:
        raise Http404
    if version.instance.damaged:
        return _damaged_response(request, record)
    response = downloads.serve_version(request, version, attachment=bool(request.GET.get("download")))
    if (
        request.method == "GET"
        and response.status_code in (200, 206)
        and record.is_published()
        and stats_services.is_counted_range(request)
    ):
        stats_services.count(request, EventKind.DOWNLOAD, record.pk, key)  # one insert (COUNTER: a request)
    # FAIR Signposting: a file leads back to the record it belongs to
    response["Link"] = f'<{settings.SITE_URL}{record.get_absolute_url()}>; rel="collection"; type="text/html"'
    return response


# A preview's HTML is a sanitised fragment; it is still shown with scripts, forms and plugins off.
PREVIEW_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"


def preview_url(
    record_id: int, key: str, kind: str = PreviewKind.PREVIEW, version: int | str | None = None
) -> str:
    url = reverse("storage:preview", args=[record_id, key])
    query = urlencode(
        [
            (name, value)
            for name, value in (("kind", kind), ("version", version))
            if value not in (None, PreviewKind.PREVIEW)
        ]
    )
    return f"{url}?{query}" if query else url


@require_http_methods(["GET", "HEAD"])
def preview(request, pk: int, key: str):
    """``/records/<id>/preview/<key>`` (``?kind=thumbnail``, ``?version=N``): a derivative of a file,
    to whoever may download the file; 404 when the file has none."""
    record = _record_for_files(request, pk)
    denial = access_denial(record, request.user)
    if denial is not None:
        return denied_response(request, record, *denial)
    kind = request.GET.get("kind", PreviewKind.PREVIEW)
    if kind not in PreviewKind.values or record.bucket is None:
        raise Http404
    try:
        version = storage_services.find_version(
            record.bucket,
            unicodedata.normalize("NFC", key),
            request.GET.get("version"),
            privileged=_is_privileged(record, request.user),
        )
    except storage_services.FileMissing:
        raise Http404
    item = preview_services.preview_object(version, kind)
    if item is None:
        raise Http404
    body = preview_services.read_preview(item)
    if item.mimetype == "text/html":
        body = b'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>' + body + b"</body></html>"
    response = HttpResponse(body, content_type=item.mimetype)
    if item.mimetype == "text/html":
        response["Content-Type"] = "text/html; charset=utf-8"
        response["Content-Security-Policy"] = PREVIEW_POLICY
    response["Cache-Control"] = "public, max-age=3600" if record.files_are_public() else "private, no-cache"
    return response


@require_GET
def download_all(request, pk: int):
    """All current files as one streamed ZIP, for records up to the size limit."""
    record = _record_for_files(request, pk)
    denial = access_denial(record, request.user)
    if denial is not None:
        return denied_response(request, record, *denial)
    if record.bucket is None:  # a record without a bucket has no files
        raise Http404
    if _is_privileged(record, request.user) and files_editable(record):
        entries = [
            (wf.key, wf.version)
            for wf in storage_services.working_files(record.bucket)
            if wf.version is not None
        ]
    else:
        entries = [
            (fk.key, current) for fk, current, _history in storage_services.published_files(record.bucket)
        ]
    if not entries:
        raise Http404
    if any(version.instance.damaged for _key, version in entries):
        return _damaged_response(request, record)
    total = sum(version.instance.size for _key, version in entries)
    if total > downloads.zip_limit():
        message = _(
            "These files total %(size)s, more than the %(limit)s a single archive may hold; download them one by one."
        ) % {"size": format_size(total), "limit": format_size(downloads.zip_limit())}
        return render(
            request,
            "storage/access_denied.html",
            {"record": record, "reason": message, "title": _("Archive too large")},
            status=413,
        )
    response = StreamingHttpResponse(downloads.zip_stream(entries), content_type="application/zip")
    response["Content-Disposition"] = downloads.content_disposition(
        f"record-{record.pk}-files.zip", inline=False
    )
    response["Cache-Control"] = "private, no-cache"
    return response


def _damaged_response(request, record: Record) -> HttpResponse:
    """A file with no intact copy left: a clear page (503), never wrong bytes."""
    response = render(
        request,
        "storage/access_denied.html",
        {"record": record, "reason": downloads.damaged_message(), "title": _("File damaged")},
        status=503,
    )
    patch_cache_control(response, no_cache=True)
    return response


@require_GET
def files_page(request, pk: int):
    """``/records/<id>/files/``: the uploader for owners of a draft or edit draft, else the files table."""
    record = _record_for_files(request, pk)
    owner = record.is_owner(request.user)
    editable = owner and files_editable(record)
    context = {
        "record": record,
        "editable": editable,
        "owner": owner,
        "edit_started": date_format(record.edit_started_at, "DATETIME_FORMAT")
        if record.edit_started_at
        else "",
    }
    return render(request, "storage/files_page.html", context)
