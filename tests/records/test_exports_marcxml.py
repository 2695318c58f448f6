"""MARCXML export: MARC 21 bibliographic fields, valid against MARC21slim.xsd."""

from __future__ import annotations

import pytest
from lxml import etree

from records.exports.marcxml import to_marcxml
from records.exports.xsd import validate
from tests.records.exports_fixture import ORCID, all_fields, in_oai_envelope, make_record

NS = {"m": "http://www.loc.gov/MARC21/slim"}


def sub(el, tag, code):
    """Values of subfield ``code`` in every datafield ``tag``."""
    return [
        str(v)
        for v in el.xpath(f"m:datafield[@tag='{tag}']/m:subfield[@code='{code}']/text()", namespaces=NS)
    ]


def fields(el, tag):
    return el.xpath(f"m:datafield[@tag='{tag}']", namespaces=NS)


def control(el, tag):
    return el.xpath(f"string(m:controlfield[@tag='{tag}'])", namespaces=NS)


@pytest.fixture
def record(depositor):
    return make_record(depositor)


@pytest.fixture
def marc(record):
    return to_marcxml(record)


def test_marcxml_is_valid_against_marc21_slim(marc):
    ok, errors = validate("marcxml", marc)
    assert ok, errors
    assert marc.tag == "{http://www.loc.gov/MARC21/slim}record"
    ok, errors = validate("all", etree.fromstring(etree.tostring(in_oai_envelope(marc))))
    assert ok, errors


def test_leader_and_control_fields(record, marc):
    leader = marc.xpath("string(m:leader)", namespaces=NS)
    assert len(leader) == 24
    assert leader[5:8] == "nam"  # new, language material, monograph
    assert leader[9] == "a"  # UCS/Unicode
    assert control(marc, "001") == str(record.pk)
    assert control(marc, "005") == record.datestamp.strftime("%Y%m%d%H%M%S") + ".0"
    f008 = control(marc, "008")
    assert len(f008) == 40
    assert f008[6:11] == "s2024"
    assert f008[35:38] == "swe"


def test_doi_language_and_title_fields(record, marc):
    assert sub(marc, "024", "a") == [record.doi]
    assert sub(marc, "024", "2") == ["doi"]
    assert sub(marc, "041", "a") == ["swe", "eng", "ger"]  # MARC uses ISO 639-2/B: deu → ger
    assert sub(marc, "245", "a") == ["Ångströms lag för maskininlärning: en översikt"]
    assert sub(marc, "245", "b") == ["En översikt över fältet"]
    assert sub(marc, "242", "a") == ["Ångström's law for machine learning"]
    assert sub(marc, "242", "y") == ["eng"]
    assert sub(marc, "246", "a") == ["Ångströmlagen", "Ett annat namn – ∑"]
    assert sub(marc, "250", "a") == ["v1.0-β"]


def test_main_and_added_entries_with_affiliations_and_orcid(marc):
    assert sub(marc, "100", "a") == ["Öberg, Åsa-Karin Maria"]
    assert sub(marc, "100", "u") == ["Stockholms universitet", "Kungliga Tekniska högskolan"]
    assert sub(marc, "100", "0") == [f"(orcid){ORCID}"]
    assert sub(marc, "100", "4") == ["aut"]
    assert sub(marc, "700", "a") == ["Nguyễn, Thị Ánh", "Żółć, Łukasz", "Müller, Jürgen"]
    assert sub(marc, "700", "e") == ["author", "editor", "supervisor"]
    assert sub(marc, "700", "0") == ["(orcid)0000-0001-5109-3700"]
    assert sub(marc, "710", "a") == ["Forskningsgruppen för AI & Språk", "Datalabbet Södermalm"]
    assert [f.get("ind1") for f in fields(marc, "710")] == ["2", "2"]


def test_publication_notes_abstract_and_access(marc):
    assert sub(marc, "264", "b") == ["Stockholms universitets förlag"]
    assert sub(marc, "264", "c") == ["2024-05-17"]
    assert sub(marc, "500", "a") == [
        "Anmärkning: skriv till [e-mail address removed] för frågor. Ödmjukt tack."
    ]
    assert sub(marc, "504", "a") == [
        "Öberg, Å. (2020). Tidigare arbete. Tidskrift för AI, 1(2), 3–4.",
        "Smith, J. (2019). Prior art.",
    ]
    assert sub(marc, "520", "a")[0].startswith("Vi studerar Ångströms lag & dess följder.\n• Första punkten")
    assert sub(marc, "506", "a") == ["Embargoed Access"]
    assert sub(marc, "506", "g") == ["2099-12-31"]


def test_licence_funding_subjects_keywords(marc):
    assert sub(marc, "540", "a") == ["Creative Commons Attribution 4.0 International"]
    assert sub(marc, "540", "f") == ["CC-BY-4.0"]
    assert sub(marc, "540", "u") == ["https://creativecommons.org/licenses/by/4.0/legalcode"]
    assert sub(marc, "536", "a") == [
        "Vetenskapsrådet: Maskininlärning för språkteknologi",
        "Wallenbergstiftelserna",
    ]
    assert sub(marc, "536", "c") == ["2021-04567"]
    assert sub(marc, "650", "a") == ["Artificiell intelligens", "Datavetenskap"]
    assert sub(marc, "650", "2") == ["Wikidata", "FOS"]
    assert sub(marc, "653", "a") == ["maskininlärning", "Ångström", "naïve Bayes"]
    assert sub(marc, "655", "a") == ["Journal article"]


def test_related_identifiers_and_links(record, marc):
    assert sub(marc, "787", "o") == [
        "doi:10.1234/förbättrad.5678",
        "https://example.org/källa?x=1&y=2",
        "arxiv:2101.00001",
        "swh:1:dir:d198bc9d7a6bcf6db04f476d29314f157507d505",
        "isbn:978-3-16-148410-0",
        "other:lokal-ärende-42",
    ]
    assert sub(marc, "787", "i")[0] == "is supplement to"
    assert sub(marc, "856", "u") == [
        f"https://doi.org/{record.doi}",
        f"http://127.0.0.1:8000/records/{record.pk}/",
    ]


def test_open_record_lists_its_files_and_open_access(depositor, monkeypatch):
    monkeypatch.setattr(
        "storage.services.current_files",
        lambda record: [
            {"key": "mapp/fil med mellanslag.csv", "size": 42, "md5": "f" * 32, "mimetype": "text/csv"}
        ],
    )
    record = make_record(depositor, all_fields(access_right="open"))
    marc = to_marcxml(record)
    assert sub(marc, "506", "f") == ["Unrestricted online access"]
    assert f"http://127.0.0.1:8000/records/{record.pk}/files/mapp/fil%20med%20mellanslag.csv" in sub(
        marc, "856", "u"
    )
    assert sub(marc, "856", "s") == ["42"]
    assert sub(marc, "856", "z") == ["md5:" + "f" * 32]
    assert validate("marcxml", marc)[0]


def test_restricted_record_states_conditions(depositor):
    marc = to_marcxml(make_record(depositor, all_fields(access_right="restricted")))
    assert sub(marc, "506", "a") == ["Restricted Access: Åtkomst ges till forskare efter ansökan"]
    assert validate("marcxml", marc)[0]


@pytest.mark.parametrize(
    "resource_type,leader6",
    [
        ({"type": "dataset"}, "m"),
        ({"type": "software"}, "m"),
        ({"type": "image", "subtype": "photo"}, "k"),
        ({"type": "video"}, "g"),
        ({"type": "lesson"}, "a"),
    ],
)
def test_leader_type_of_record_follows_resource_type(depositor, resource_type, leader6):
    marc = to_marcxml(make_record(depositor, all_fields(resource_type=resource_type)))
    assert marc.xpath("string(m:leader)", namespaces=NS)[6] == leader6
    assert validate("marcxml", marc)[0]
