"""The vendored schemas and their offline loader."""

from __future__ import annotations

import hashlib

import pytest
from lxml import etree

from records.exports.xsd import ALIASES, SCHEMA_DIR, load_schema, validate


def test_vendored_schemas_are_byte_identical_to_the_official_copies():
    lines = (SCHEMA_DIR / "SHA256SUMS").read_text().splitlines()
    assert len(lines) >= 30
    for line in lines:
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((SCHEMA_DIR / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize("name", sorted(ALIASES))
def test_every_alias_compiles_offline(name):
    assert isinstance(load_schema(name), etree.XMLSchema)


def test_loader_caches_compiled_schemas():
    assert load_schema("datacite") is load_schema("datacite")


def test_unknown_or_escaping_schema_names_are_refused():
    with pytest.raises(ValueError, match="no vendored schema"):
        load_schema("nonexistent.xsd")
    with pytest.raises(ValueError):
        load_schema("../../../etc/passwd")


def test_schemas_reject_invalid_documents():
    bad_dc = b"""<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
        xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:unknown>x</dc:unknown></oai_dc:dc>"""
    ok, errors = validate("oai_dc", bad_dc)
    assert not ok and errors
    bad_datacite = b'<resource xmlns="http://datacite.org/schema/kernel-4"><titles/></resource>'
    assert validate("datacite", bad_datacite)[0] is False
    bad_marc = b'<record xmlns="http://www.loc.gov/MARC21/slim"><leader>too short</leader></record>'
    assert validate("marcxml", bad_marc)[0] is False
