"""``/records/<id>/export/<format>``: one record in one export format."""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from lxml import etree

from records.access import get_record_for_user

from .base import ExportRecord
from .bibtex import to_bibtex
from .csl import to_csl
from .datacite import to_datacite
from .dc import to_oai_dc
from .json import to_json
from .jsonld import to_jsonld
from .marcxml import to_marcxml


def _xml(element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")


# format → (serialiser to bytes, content type, file extension)
FORMATS = {
    "json": (lambda r: _json(to_json(r)), "application/json", "json"),
    "datacite": (lambda r: _xml(to_datacite(r)), "application/xml", "xml"),
    "dc": (lambda r: _xml(to_oai_dc(r)), "application/xml", "xml"),
    "marcxml": (lambda r: _xml(to_marcxml(r)), "application/xml", "xml"),
    "bibtex": (lambda r: to_bibtex(r).encode("utf-8"), "application/x-bibtex", "bib"),
    "csl": (lambda r: _json(to_csl(r)), "application/vnd.citationstyles.csl+json", "json"),
    "jsonld": (lambda r: _json(to_jsonld(r)), "application/ld+json", "jsonld"),
}


def _plain(message: str, status: int) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


@require_safe
def export_record(request, pk: int, fmt: str):
    """The record's public metadata in ``fmt``; 404 for unknown formats and others' drafts, 410 once withdrawn."""
    if fmt not in FORMATS:
        return _plain(
            _("Unknown export format “%(format)s”. Known formats: %(formats)s.")
            % {"format": fmt, "formats": ", ".join(FORMATS)},
            404,
        )
    record = get_record_for_user(request.user, pk)
    if record.is_withdrawn():
        return _plain(_("This record has been withdrawn; its metadata is no longer exported."), 410)
    serialise, content_type, extension = FORMATS[fmt]
    body = serialise(ExportRecord.from_record(record))
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="record-{record.pk}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
