"""``/records/<id>/export/<format>``: one record in one export format (any listed in the registry)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from records.access import get_record_for_user

from .base import ExportRecord
from .registry import export_formats


def _plain(message: str, status: int) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


@require_safe
def export_record(request, pk: int, fmt: str):
    """The record's public metadata in ``fmt``; 404 for unknown formats and others' drafts, 410 once withdrawn."""
    formats = export_formats()
    if fmt not in formats:
        return _plain(
            _("Unknown export format “%(format)s”. Known formats: %(formats)s.")
            % {"format": fmt, "formats": ", ".join(formats)},
            404,
        )
    record = get_record_for_user(request.user, pk)
    if record.is_withdrawn():
        gone = _plain(_("This record has been withdrawn; its metadata is no longer exported."), 410)
        patch_cache_control(gone, no_cache=True)  # 410 is cacheable by default; a reinstatement must show
        return gone
    export_format = formats[fmt]
    body = export_format.to_bytes(ExportRecord.from_record(record))
    response = HttpResponse(body, content_type=f"{export_format.media_type}; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="record-{record.pk}.{export_format.extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
