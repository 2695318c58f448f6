"""CITATION.cff: exports valid against the official CFF 1.2.0 schema; import of real files, with
confirmation; bad files and archives change nothing."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml
from django.urls import reverse
from lxml import html

from aitools import cff
from records.models import Record
from tests.records.conftest import make_metadata
from tests.records.exports_fixture import EMAIL_PATTERN, all_fields

DATA = Path(__file__).parent / "data"
CFF_SPEC = (DATA / "citation-file-format.cff").read_bytes()
PYREALM = (DATA / "pyrealm.cff").read_bytes()


def publish(user, metadata):
    from records.services import create_draft, publish

    return publish(create_draft(user, metadata), user, declaration_accepted=True)


def exported(client, record) -> dict:
    response = client.get(f"/records/{record.pk}/export/cff")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    assert not EMAIL_PATTERN.search(response.content.decode())
    data = yaml.safe_load(response.content)
    data = cff._dates_as_text(data)
    assert cff.schema_errors(data) == []
    return data


def test_export_validates_against_the_official_schema(client, depositor):
    record = publish(depositor, make_metadata(version="2.0"))
    data = exported(client, record)
    assert data["cff-version"] == "1.2.0" and data["type"] == "dataset"
    assert data["authors"][0] == {
        "family-names": "Lindqvist",
        "given-names": "Åsa",
        "orcid": "https://orcid.org/0000-0002-1825-0097",
        "affiliation": "Stockholm University",
    }
    assert data["doi"] == record.doi
    assert data["license"] == "CC-BY-4.0"
    assert data["date-released"] == "2024-05-17"
    assert data["keywords"] == ["sentiment analysis", "politics"]
    assert data["version"] == "2.0"
    assert data["abstract"] == "Speeches from the Riksdag, 2010–2020."


def test_export_of_a_record_with_every_field_validates(client, depositor):
    record = publish(depositor, all_fields(resource_type={"type": "software"}))
    data = exported(client, record)
    assert data["type"] == "software"
    assert any("name" in a for a in data["authors"]) or data["authors"]


def test_the_schema_catches_a_broken_export():
    assert cff.schema_errors(
        {"cff-version": "1.2.0", "title": "x", "message": "m", "authors": [{"orcid": "x"}]}
    )


@pytest.fixture
def owner(client_for, depositor):
    return client_for(depositor)


@pytest.fixture
def draft(depositor):
    from records.services import create_draft

    return create_draft(
        depositor, make_metadata(resource_type={"type": "software"}, keywords=["old"], license="CC0-1.0")
    )


def preview(owner, draft, **data):
    return owner.post(f"/records/{draft.pk}/import-cff/", {"action": "preview", **data})


def test_uploaded_citation_cff_is_shown_then_applied(owner, draft):
    before = Record.objects.get(pk=draft.pk).metadata
    response = preview(owner, draft, cff=io.BytesIO(CFF_SPEC))
    assert response.status_code == 200
    page = html.fromstring(response.content)
    rows = {
        row.xpath("string(th)"): row.xpath("string(td[2])")
        for row in page.xpath("//section[@id='cff-changes']//tbody/tr")
    }
    assert rows["Title"] == "Citation File Format"
    assert "Druskat, Stephan (ORCID 0000-0003-4925-7248)" in rows["Creators"]
    assert rows["Version"] == "1.2.0"
    assert rows["Licence"] == "CC-BY-4.0"
    assert "IsVersionOf: 10.5281/zenodo.5171937" in rows["Related identifiers"]
    assert Record.objects.get(pk=draft.pk).metadata == before  # nothing changed before the confirmation
    cff_text = page.xpath("string(//textarea[@name='cff_text'])")
    response = owner.post(f"/records/{draft.pk}/import-cff/", {"action": "apply", "cff_text": cff_text})
    assert response.status_code == 302 and response["Location"] == reverse("records:edit", args=[draft.pk])
    md = Record.objects.get(pk=draft.pk).metadata
    assert md["title"] == "Citation File Format"
    assert [c["name"] for c in md["creators"]][:2] == ["Druskat, Stephan", "Spaaks, Jurriaan H."]
    assert md["creators"][0]["orcid"] == "0000-0003-4925-7248"
    assert len(md["creators"]) == 9
    assert md["version"] == "1.2.0" and md["license"] == "CC-BY-4.0"
    assert md["keywords"][:2] == ["citation file format", "CFF"]
    assert md["publication_date"] == "2021-08-09"
    assert {"identifier": "10.5281/zenodo.5171937", "scheme": "doi", "relation": "IsVersionOf"} in md[
        "related_identifiers"
    ]
    assert md["languages"] == make_metadata()["languages"]  # what the CFF does not have is kept
    assert "spencer.bliven" not in str(md)  # authors' e-mail addresses are not imported


def archive_bytes(kind: str, members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(out, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
    else:
        with tarfile.open(fileobj=out, mode="w:gz") as archive:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.mark.parametrize(
    ("key", "data"),
    [
        ("CITATION.cff", PYREALM),
        (
            "pyrealm-1.0.0.zip",
            archive_bytes("zip", {"pyrealm-1.0.0/CITATION.cff": PYREALM, "pyrealm-1.0.0/a.py": b"x"}),
        ),
        (
            "pyrealm-1.0.0.tar.gz",
            archive_bytes("tar", {"pyrealm-1.0.0/README": b"r", "pyrealm-1.0.0/CITATION.cff": PYREALM}),
        ),
        ("release.zip", archive_bytes("zip", {"CITATION.cff": PYREALM})),
    ],
)
def test_citation_cff_from_the_drafts_files(owner, draft, depositor, key, data):
    from storage.services import store_bytes

    store_bytes(draft.bucket, key, data, depositor)
    page = html.fromstring(owner.get(f"/records/{draft.pk}/import-cff/").content)
    assert page.xpath(f"//button[@name='source'][@value='{key}']")
    response = preview(owner, draft, source=key)
    assert response.status_code == 200, response.content.decode()[:300]
    cff_text = html.fromstring(response.content).xpath("string(//textarea[@name='cff_text'])")
    owner.post(f"/records/{draft.pk}/import-cff/", {"action": "apply", "cff_text": cff_text})
    md = Record.objects.get(pk=draft.pk).metadata
    assert md["title"] == "pyrealm" and md["license"] == "MIT"
    assert md["creators"][0] == {
        "type": "personal",
        "name": "Orme, C. David L.",
        "family_name": "Orme",
        "given_name": "C. David L.",
        "orcid": "0000-0002-7005-1394",
        "affiliations": [{"name": "Department of Life Sciences, Imperial College London"}],
    }
    assert md["creators"][3]["affiliations"] == [
        {"name": "Institute of Computing for Climate Science, University of Cambridge"}
    ]
    assert "plant productivity" in md["description"]
    assert {
        "identifier": "https://github.com/ImperialCollegeLondon/pyrealm",
        "scheme": "url",
        "relation": "IsSupplementTo",
    } in md["related_identifiers"]


WAKIS = b"""cff-version: 1.2.0
message: "If you use this software, consider cite it as below to support open-source science"
authors:
- family-names: "de la Fuente Garcia"
  given-names: "Elena"
  orcid: "https://orcid.org/0009-0004-5649-2160"
title: "Wakis"
version: 0.5.0
doi: https://doi.org/10.5281/zenodo.14988676
date-released: 07-03-2025
"""


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (WAKIS, "does not follow the format"),
        (b"title: [unclosed\n", "not valid YAML"),
        (b"- a list\n", "mapping"),
        (CFF_SPEC.replace(b"cff-version: 1.2.0", b"cff-version: 1.1.0"), "version 1.2.0"),
        (b"\xff\xfe\x00", "UTF-8"),
    ],
)
def test_invalid_citation_cff_changes_nothing(owner, draft, upload, message):
    before = Record.objects.get(pk=draft.pk).metadata
    response = preview(owner, draft, cff=io.BytesIO(upload))
    assert response.status_code == 400
    assert message in response.content.decode()
    response = owner.post(
        f"/records/{draft.pk}/import-cff/", {"action": "apply", "cff_text": upload.decode("utf-8", "replace")}
    )
    assert response.status_code == 400
    assert Record.objects.get(pk=draft.pk).metadata == before


def test_unreadable_archive_or_missing_cff_is_a_message(owner, draft, depositor):
    from storage.services import store_bytes

    store_bytes(draft.bucket, "broken.zip", b"PK\x03\x04 this is not a zip", depositor)
    store_bytes(draft.bucket, "broken.tar.gz", b"\x1f\x8b not gzip either", depositor)
    store_bytes(
        draft.bucket, "deep.zip", archive_bytes("zip", {"a/b/CITATION.cff": PYREALM, "c/d": b""}), depositor
    )
    before = Record.objects.get(pk=draft.pk).metadata
    for key, message in [
        ("broken.zip", "cannot be read"),
        ("broken.tar.gz", "cannot be read"),
        ("deep.zip", "no CITATION.cff at the top"),
        ("nothere.zip", "no file"),
    ]:
        response = preview(owner, draft, source=key)
        assert response.status_code == 400, key
        assert message in response.content.decode(), key
    assert Record.objects.get(pk=draft.pk).metadata == before


def test_only_owners_import(client_for, outsider, draft):
    assert (
        client_for(outsider)
        .post(f"/records/{draft.pk}/import-cff/", {"cff": io.BytesIO(PYREALM)})
        .status_code
        == 404
    )


def test_deposit_form_links_the_import(owner, draft):
    page = owner.get(reverse("records:edit", args=[draft.pk])).content.decode()
    assert f'href="/records/{draft.pk}/import-cff/"' in page
