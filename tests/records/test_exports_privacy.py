"""Rules for every export: no e-mail address anywhere, no XML-illegal character, non-ASCII kept."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from lxml import etree

from records.exports.base import ExportRecord, clean_text, html_to_text
from records.exports.bibtex import to_bibtex
from records.exports.citation import apa, apa_html
from records.exports.csl import to_csl
from records.exports.datacite import to_datacite, to_oai_datacite
from records.exports.dc import to_oai_dc
from records.exports.json import to_json
from records.exports.jsonld import to_jsonld
from records.exports.marcxml import to_marcxml
from records.exports.openaire import to_openaire
from records.exports.xsd import validate
from records.models import Record
from tests.records.exports_fixture import (
    CONTACT_EMAIL,
    EMAIL_PATTERN,
    FREE_TEXT_EMAIL,
    ILLEGAL,
    all_fields,
    dirty,
    make_record,
)

XML_BUILDERS = {
    "datacite": to_datacite,
    "oai_datacite": to_oai_datacite,
    "oai_dc": to_oai_dc,
    "marcxml": to_marcxml,
    "openaire": to_openaire,
}


def every_output(record) -> dict[str, str]:
    """Each export of ``record`` as the text a client receives."""
    outputs = {
        name: etree.tostring(build(record), encoding="unicode") for name, build in XML_BUILDERS.items()
    }
    outputs["json"] = json.dumps(to_json(record), ensure_ascii=False)
    outputs["csl"] = json.dumps(to_csl(record), ensure_ascii=False)
    outputs["jsonld"] = json.dumps(to_jsonld(record), ensure_ascii=False)
    outputs["bibtex"] = to_bibtex(record)
    outputs["apa"] = apa(record)
    outputs["apa_html"] = str(apa_html(record))
    return outputs


@pytest.mark.parametrize("right", ["open", "embargoed", "restricted", "closed"])
def test_no_email_address_in_any_export(depositor, right):
    record = make_record(depositor, all_fields(access_right=right))
    assert record.metadata["contact_email"] == CONTACT_EMAIL  # stored, just never exported
    for name, output in every_output(record).items():
        assert CONTACT_EMAIL not in output, name
        assert FREE_TEXT_EMAIL not in output, name
        assert EMAIL_PATTERN.findall(output) == [], name


def test_email_typed_into_any_text_field_is_removed(depositor):
    email = "någon.annan@universitet.example"
    metadata = all_fields(
        title=f"Kontakta {email}",
        keywords=[email],
        version=email,
        publisher=f"Förlag ({email})",
        references=[f"Se {email}"],
        access_conditions=email,
        access_right="restricted",
    )
    metadata["creators"][0]["name"] = f"Öberg, Åsa <{email}>"
    metadata["funding"][0]["award_title"] = email
    record = make_record(depositor, metadata)
    for name, output in every_output(record).items():
        assert email not in output, name
        assert EMAIL_PATTERN.findall(output) == [], name


def test_xml_illegal_characters_are_removed_and_non_ascii_kept(depositor):
    record = make_record(depositor)
    for name, output in every_output(record).items():
        assert not set(output) & set(ILLEGAL), name
        assert "Ångströms lag för maskininlärning" in output, name
    for name, build in XML_BUILDERS.items():
        # Round trip through a strict parser: well-formed UTF-8 with the text intact.
        parsed = etree.fromstring(etree.tostring(build(record), encoding="UTF-8", xml_declaration=True))
        assert "Åsa-Karin Maria" in etree.tostring(parsed, encoding="unicode"), name


def test_every_illegal_character_including_nul_is_removed(depositor):
    """U+0000 cannot even be stored in PostgreSQL's jsonb: check every character on an unsaved record."""
    noisy = {
        key: (
            dirty(value)
            if isinstance(value, str)
            and key not in ("publication_date", "access_right", "license", "embargo_date")
            else value
        )
        for key, value in all_fields().items()
    }
    noisy["title"] = "Början" + ILLEGAL + "slut"
    now = timezone.now()
    record = Record(
        pk=999,
        owner=depositor,
        metadata=noisy,
        state="published",
        doi="10.5072/x.999",
        created=now,
        published_at=now,
        datestamp=now,
    )
    rec = ExportRecord.from_record(record)
    assert rec.title == "Börjanslut"
    for name, output in every_output(rec).items():
        assert not set(output) & set(ILLEGAL), name
    ok, errors = validate("datacite", to_datacite(rec))
    assert ok, errors


def test_clean_text_and_html_to_text():
    assert clean_text("a\x00b\x0bc\ufffed\uffffe\tf\ng\rh") == "abcde\tf\ng\rh"
    assert clean_text("mail me: x.y+z@sub.example.org now") == "mail me: [e-mail address removed] now"
    assert clean_text("Åsa.Öberg@universitet.example.se") == "[e-mail address removed]"
    assert "a@b.example" not in clean_text("https://x.example/?to=a@b.example")
    assert clean_text("https://medium.com/@user.name/post") == "https://medium.com/@user.name/post"
    assert html_to_text("<p>Ett &amp; två</p><p>tre<br>fyra</p><script>x</script>") == "Ett & två\ntre\nfyra"
    assert html_to_text("") == ""


def test_public_metadata_of_the_export_record_has_no_private_field(depositor):
    rec = ExportRecord.from_record(make_record(depositor))
    assert "contact_email" not in rec.metadata
    assert CONTACT_EMAIL not in json.dumps(rec.metadata)


def _paths(schema: dict, root: dict, prefix: str = "") -> set[str]:
    """Every property path the schema defines (``creators[].affiliations[].ror``…), $refs followed."""
    if "$ref" in schema:
        ref = schema["$ref"].removeprefix("#/")
        target = root
        for part in ref.split("/"):
            target = target[part]
        merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        merged["properties"] = {**target.get("properties", {}), **schema.get("properties", {})}
        return _paths(merged, root, prefix)
    paths = set()
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        paths.add(path)
        paths |= _paths(sub, root, path)
    if "items" in schema:
        paths |= _paths(schema["items"], root, prefix + "[]")
    return paths


def _present(value, prefix: str = "") -> set[str]:
    paths = set()
    if isinstance(value, dict):
        for key, sub in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= _present(sub, path)
    elif isinstance(value, list):
        for item in value:
            paths |= _present(item, prefix + "[]")
    return paths


def test_fixture_fills_every_schema_field_and_is_valid_metadata():
    from jsonschema import Draft202012Validator

    from records.validation import validate_metadata
    from tests.records.exports_fixture import SCHEMA

    metadata = all_fields()
    missing = _paths(SCHEMA, SCHEMA) - _present(metadata)
    assert missing == set()
    assert list(Draft202012Validator(SCHEMA).iter_errors(metadata)) == []
    assert validate_metadata(metadata) == []
