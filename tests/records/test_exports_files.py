"""Files in exports, end to end through the storage verbs: listed when public, never otherwise."""

from __future__ import annotations

import hashlib
import json

import pytest
from lxml import etree

from records.exports.xsd import validate
from tests.records.exports_fixture import all_fields

DATA = "år,värde\n2024,1\n".encode()


def deposit(user, **overrides):
    from records.services import create_draft, publish
    from storage.services import store_bytes

    draft = create_draft(user, all_fields(**overrides))
    store_bytes(draft.bucket, "data/mätning.csv", DATA, user)
    return publish(draft, user, declaration_accepted=True)


def test_open_record_exports_list_the_stored_file(client, depositor):
    record = deposit(depositor, access_right="open")
    files = json.loads(client.get(f"/records/{record.pk}/export/json").content)["files"]
    assert files == [
        {
            "key": "data/mätning.csv",
            "size": len(DATA),
            "checksum": "md5:" + hashlib.md5(DATA).hexdigest(),
            "mimetype": "text/csv",
            "links": {"self": f"http://127.0.0.1:8000/records/{record.pk}/files/data/m%C3%A4tning.csv"},
        }
    ]
    datacite = etree.fromstring(client.get(f"/records/{record.pk}/export/datacite").content)
    ns = {"d": "http://datacite.org/schema/kernel-4"}
    assert datacite.xpath("d:sizes/d:size/text()", namespaces=ns) == [f"{len(DATA)} bytes", "1 file"]
    assert datacite.xpath("d:formats/d:format/text()", namespaces=ns) == ["text/csv"]
    assert validate("datacite", datacite)[0]
    marc = client.get(f"/records/{record.pk}/export/marcxml").content.decode()
    assert "data/m%C3%A4tning.csv" in marc
    assert "mätning.csv" in client.get(f"/records/{record.pk}/export/jsonld").content.decode()


@pytest.mark.parametrize("right", ["restricted", "closed", "embargoed"])
def test_non_public_files_appear_in_no_export(client, depositor, right):
    record = deposit(depositor, access_right=right)
    for fmt in ("json", "datacite", "dc", "marcxml", "bibtex", "csl", "jsonld"):
        body = client.get(f"/records/{record.pk}/export/{fmt}").content.decode()
        assert "mätning" not in body, fmt
        assert "m%C3%A4tning" not in body, fmt
