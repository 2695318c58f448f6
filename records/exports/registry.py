"""The one list of export formats: every page, view and protocol that names formats reads it.

A format is one :class:`ExportFormat`, registered by the module that implements it::

    # records/exports/dc.py
    register(ExportFormat(
        name="dc", label="Dublin Core", media_type="application/xml", extension="xml",
        serialise=lambda record: to_oai_dc(record), kind=XML, order=30,
        oai=OaiMetadata("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
                        "http://www.openarchives.org/OAI/2.0/oai_dc/"),
    ))

and it is then offered on the landing page, served at ``/records/<id>/export/<name>``, linked from
the public JSON and — when it declares ``oai`` metadata — disseminated by OAI-PMH
(``ListMetadataFormats``, ``GetRecord``, ``ListRecords``, the pre-rendered payloads). This module
imports the built-in format modules once, at its end, so importing it is enough to see them all.

``serialise`` takes a ``Record`` or an ``ExportRecord`` and returns an lxml element (``kind=XML``), a
JSON-ready value (``JSON``) or text (``TEXT``). Write it as a lambda calling the module's function,
so the function is looked up when a record is rendered (tests replace module functions to spy on them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lxml import etree

XML = "xml"
JSON = "json"
TEXT = "text"
# The stored OAI-PMH payload of a record that cannot be disseminated in a format (``OaiMetadata.problems``).
NOT_DISSEMINATED = ""


@dataclass(frozen=True)
class OaiMetadata:
    """How OAI-PMH disseminates a format: ``metadataPrefix``, XML schema URL and namespace.

    ``order`` places the format in ``ListMetadataFormats`` (lower first). ``problems``, for a format
    with rules its schema cannot check (mandatory fields), takes a record and names what keeps it
    from being disseminated in this format (an empty list: nothing); such a record's payload is
    empty, and OAI-PMH answers ``cannotDisseminateFormat`` for it and leaves it out of lists.
    """

    prefix: str
    schema: str
    namespace: str
    order: int = 1000
    problems: Callable[[Any], list[str]] | None = None


@dataclass(frozen=True)
class ExportFormat:
    """One export format.

    ``listed=False`` keeps a format out of the landing page, ``/records/<id>/export/<name>`` and the
    JSON links (for a format only OAI-PMH disseminates, e.g. the ``oai_datacite`` wrapper).
    ``order`` places it among the listed formats (lower first).
    """

    name: str
    label: str
    media_type: str
    extension: str
    serialise: Callable[[Any], Any]
    kind: str = XML
    oai: OaiMetadata | None = None
    listed: bool = True
    order: int = 1000

    def __post_init__(self):
        if self.kind not in (XML, JSON, TEXT):
            raise ValueError(f"export format {self.name!r}: kind must be one of xml, json, text")

    def to_bytes(self, record) -> bytes:
        """The document served at ``/records/<id>/export/<name>`` (UTF-8)."""
        value = self.serialise(record)
        if self.kind == XML:
            return etree.tostring(value, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        if self.kind == JSON:
            return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")
        return value.encode("utf-8")

    def render_oai(self, record) -> str:
        """The OAI-PMH ``<metadata>`` payload: the element as text, without an XML declaration.

        Empty (``NOT_DISSEMINATED``) when the format names problems with the record."""
        if self.oai is not None and self.oai.problems is not None and self.oai.problems(record):
            return NOT_DISSEMINATED
        return etree.tostring(self.serialise(record), encoding="unicode")


_REGISTRY: dict[str, ExportFormat] = {}


def register(fmt: ExportFormat) -> ExportFormat:
    """Add ``fmt``; a second format with the same name or OAI prefix is an error."""
    if fmt.name in _REGISTRY:
        raise ValueError(f"export format {fmt.name!r} is already registered")
    if fmt.oai is not None and fmt.oai.prefix in oai_formats():
        raise ValueError(f"OAI-PMH metadata prefix {fmt.oai.prefix!r} is already registered")
    if fmt.oai is not None and fmt.kind != XML:
        raise ValueError(f"export format {fmt.name!r}: OAI-PMH disseminates XML formats only")
    _REGISTRY[fmt.name] = fmt
    return fmt


def unregister(name: str) -> None:
    """Remove a format (tests that register their own)."""
    _REGISTRY.pop(name, None)


def _ordered(formats, key) -> list[ExportFormat]:
    # sorted() is stable: equal orders keep registration order
    return sorted(formats, key=key)


def export_formats() -> dict[str, ExportFormat]:
    """Formats served at ``/records/<id>/export/<name>`` and linked from pages, by name, in order."""
    listed = _ordered((f for f in _REGISTRY.values() if f.listed), key=lambda f: f.order)
    return {f.name: f for f in listed}


def oai_formats() -> dict[str, ExportFormat]:
    """Formats OAI-PMH disseminates, by metadata prefix, in ``ListMetadataFormats`` order."""
    with_oai = [(f.oai, f) for f in _REGISTRY.values() if f.oai is not None]
    # sorted() is stable: equal orders keep registration order
    return {oai.prefix: f for oai, f in sorted(with_oai, key=lambda pair: pair[0].order)}


def get(name: str) -> ExportFormat | None:
    """A listed format by name, or None."""
    return export_formats().get(name)


# The built-in formats register themselves when their modules are imported.
from records.exports import bibtex, csl, datacite, dc, json as json_format, jsonld, marcxml, openaire  # noqa: E402, F401, I001
