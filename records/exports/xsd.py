"""Offline loading of the vendored official XML schemas (``records/exports/xsd/``).

Every remote ``schemaLocation`` those schemas use is mapped to a local file by an lxml resolver,
so nothing touches the network. Compiled schemas are cached per process::

    from records.exports.xsd import load_schema, validate
    ok, errors = validate(load_schema("datacite"), element)
    load_schema("validate-all.xsd")   # whole OAI-PMH responses, payloads included
"""

from __future__ import annotations

import functools
from pathlib import Path

from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parent / "xsd"

# Short names for the schemas the project uses; any path relative to SCHEMA_DIR works too.
ALIASES = {
    "all": "validate-all.xsd",
    "oai-pmh": "oai-pmh/OAI-PMH.xsd",
    "oai_dc": "oai-pmh/oai_dc.xsd",
    "datacite": "datacite/kernel-4.7/metadata.xsd",
    "datacite-4.7": "datacite/kernel-4.7/metadata.xsd",
    "datacite-4.6": "datacite/kernel-4.6/metadata.xsd",
    "oai_datacite": "datacite/oai-1.1/oai.xsd",
    "marcxml": "marc21/MARC21slim.xsd",
    # OpenAIRE Literature v4 (oai_openaire): 4.1 accepts every COAR type 4.0 does, and more.
    "oai_openaire": "openaire/4.1/openaire.xsd",
    "openaire-4.0": "openaire/4.0/openaire.xsd",
    "openaire-4.1": "openaire/4.1/openaire.xsd",
    # Whole oai_openaire responses (the OpenAIRE profile cannot share one schema set with oai_dc).
    "all-openaire": "validate-openaire.xsd",
}

REMOTE_TO_LOCAL = {
    "www.openarchives.org/OAI/2.0/OAI-PMH.xsd": "oai-pmh/OAI-PMH.xsd",
    "www.openarchives.org/OAI/2.0/oai_dc.xsd": "oai-pmh/oai_dc.xsd",
    "www.openarchives.org/OAI/2.0/oai-identifier.xsd": "oai-pmh/oai-identifier.xsd",
    "www.openarchives.org/OAI/2.0/provenance.xsd": "oai-pmh/provenance.xsd",
    "www.openarchives.org/OAI/2.0/friends.xsd": "oai-pmh/friends.xsd",
    "www.openarchives.org/OAI/1.1/eprints.xsd": "oai-pmh/eprints.xsd",
    "dublincore.org/schemas/xmls/simpledc20021212.xsd": "dc/simpledc20021212.xsd",
    "www.dublincore.org/schemas/xmls/simpledc20021212.xsd": "dc/simpledc20021212.xsd",
    "www.w3.org/2001/xml.xsd": "w3c/xml.xsd",
    "www.w3.org/2001/03/xml.xsd": "w3c/xml.xsd",
    "www.w3.org/XML/1998/namespace.xsd": "w3c/xml.xsd",
    "www.w3.org/2009/01/xml.xsd": "w3c/xml.xsd",
    "www.openaire.eu/schema/repo-lit/4.0/openaire.xsd": "openaire/4.1/openaire.xsd",
    "openaire.eu/schema/repo-lit/4.0/openaire.xsd": "openaire/4.1/openaire.xsd",
    "schema.datacite.org/meta/kernel-4/metadata.xsd": "datacite/kernel-4.7/metadata.xsd",
    "schema.datacite.org/meta/kernel-4.7/metadata.xsd": "datacite/kernel-4.7/metadata.xsd",
    "schema.datacite.org/meta/kernel-4.6/metadata.xsd": "datacite/kernel-4.6/metadata.xsd",
    "schema.datacite.org/oai/oai-1.1/oai.xsd": "datacite/oai-1.1/oai.xsd",
    "www.loc.gov/standards/marcxml/schema/MARC21slim.xsd": "marc21/MARC21slim.xsd",
}


class LocalSchemaResolver(etree.Resolver):
    """Resolves the official http(s) schema URLs to the vendored copies."""

    def resolve(self, url: str | None, pubid: str | None, context: object) -> object:  # type: ignore[override]  # lxml-stubs lack lxml's context argument
        for scheme in ("http://", "https://"):
            if url and url.startswith(scheme):
                local = REMOTE_TO_LOCAL.get(url[len(scheme) :])
                if local:
                    return self.resolve_filename(str(SCHEMA_DIR / local), context)  # type: ignore[attr-defined]  # lxml-stubs lack resolve_filename
        return None  # relative includes (DataCite include/*.xsd) resolve normally


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(LocalSchemaResolver())
    return parser


def schema_path(name: str) -> Path:
    """The file behind an alias or a path relative to the schema folder; ValueError if unknown."""
    relpath = ALIASES.get(name, name)
    path = (SCHEMA_DIR / relpath).resolve()
    if SCHEMA_DIR not in path.parents or not path.is_file():
        raise ValueError(f"no vendored schema {name!r}; known: {', '.join(sorted(ALIASES))}")
    return path


@functools.cache
def load_schema(name: str) -> etree.XMLSchema:
    """A compiled schema by alias (``datacite``, ``oai_dc``, ``marcxml``, ``all``…) or relative path.

    Cached: one compilation per process. ``XMLSchema.validate`` keeps its error log on the
    instance, so read ``error_log`` right after validating (``validate()`` below does).
    """
    return etree.XMLSchema(etree.parse(str(schema_path(name)), _parser()))


def validate(
    schema: etree.XMLSchema | str, xml: etree._Element | etree._ElementTree | bytes | bytearray | str
) -> tuple[bool, list[str]]:
    """Validate an element, tree, bytes or str against a schema (or schema name): (ok, errors)."""
    if isinstance(schema, str):
        schema = load_schema(schema)
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    if isinstance(xml, bytes | bytearray):
        xml = etree.fromstring(bytes(xml), etree.XMLParser(no_network=True, resolve_entities=False))
    ok = schema.validate(xml)
    return ok, [f"{e.line}:{e.column} {e.message}" for e in schema.error_log]  # type: ignore[attr-defined]  # lxml-stubs: the log is iterable
