"""oai_dc export: OpenAIRE-style Dublin Core, valid against oai_dc.xsd."""

from __future__ import annotations

import pytest
from lxml import etree

from records.exports.dc import to_oai_dc
from records.exports.xsd import validate
from tests.records.exports_fixture import all_fields, in_oai_envelope, make_record

NS = {"oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/", "dc": "http://purl.org/dc/elements/1.1/"}


def dc(el, name):
    return [str(v) for v in el.xpath(f"dc:{name}/text()", namespaces=NS)]


@pytest.fixture
def record(depositor):
    return make_record(depositor)


@pytest.fixture
def payload(record):
    return to_oai_dc(record)


def test_oai_dc_is_valid_against_the_official_schema(payload):
    ok, errors = validate("oai_dc", payload)
    assert ok, errors
    assert payload.tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
    assert payload.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        "http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
    )


def test_oai_dc_validates_inside_an_oai_pmh_response(payload):
    ok, errors = validate("all", etree.fromstring(etree.tostring(in_oai_envelope(payload))))
    assert ok, errors


def test_titles_creators_contributors(payload):
    assert dc(payload, "title") == [
        "Ångströms lag för maskininlärning: en översikt",
        "Ångström's law for machine learning",
        "En översikt över fältet",
        "Ångströmlagen",
        "Ett annat namn – ∑",
    ]
    assert dc(payload, "creator") == [
        "Öberg, Åsa-Karin Maria",
        "Nguyễn, Thị Ánh",
        "Forskningsgruppen för AI & Språk",
    ]
    assert dc(payload, "contributor") == ["Żółć, Łukasz", "Datalabbet Södermalm", "Müller, Jürgen"]


def test_subjects_descriptions_publisher(payload):
    assert dc(payload, "subject") == [
        "maskininlärning",
        "Ångström",
        "naïve Bayes",
        "Artificiell intelligens",
        "Datavetenskap",
    ]
    description, notes = dc(payload, "description")
    assert description.startswith("Vi studerar Ångströms lag & dess följder.")
    assert "<" not in description
    assert notes.startswith("Anmärkning")
    assert dc(payload, "publisher") == ["Stockholms universitets förlag"]


def test_dates_with_openaire_embargo_end(payload):
    assert dc(payload, "date") == ["2024-05-17", "info:eu-repo/date/embargoEnd/2099-12-31"]


def test_types_identifiers_languages(record, payload):
    assert dc(payload, "type") == ["info:eu-repo/semantics/article", "publication-article"]
    assert dc(payload, "identifier") == [
        f"https://doi.org/{record.doi}",
        f"http://127.0.0.1:8000/records/{record.pk}/",
    ]
    assert dc(payload, "language") == ["swe", "eng", "deu"]


def test_relations(payload):
    assert dc(payload, "relation") == [
        "doi:10.1234/förbättrad.5678",
        "https://example.org/källa?x=1&y=2",
        "arxiv:2101.00001",
        "swh:1:dir:d198bc9d7a6bcf6db04f476d29314f157507d505",
        "isbn:978-3-16-148410-0",
        "other:lokal-ärende-42",
        "https://www.vr.se/projekt/2021-04567",
    ]


def test_rights_access_right_and_licence(payload):
    assert dc(payload, "rights") == [
        "info:eu-repo/semantics/embargoedAccess",
        "https://creativecommons.org/licenses/by/4.0/legalcode",
        "Creative Commons Attribution 4.0 International",
    ]


def test_restricted_record_states_its_conditions(depositor):
    payload = to_oai_dc(make_record(depositor, all_fields(access_right="restricted")))
    rights = dc(payload, "rights")
    assert rights[0] == "info:eu-repo/semantics/restrictedAccess"
    assert "Åtkomst ges till forskare efter ansökan" in rights
    assert not any(d.startswith("info:eu-repo/date/embargoEnd") for d in dc(payload, "date"))


@pytest.mark.parametrize(
    "resource_type,eu_type",
    [
        ({"type": "dataset"}, "info:eu-repo/semantics/other"),
        ({"type": "publication", "subtype": "thesis"}, "info:eu-repo/semantics/doctoralThesis"),
        ({"type": "publication", "subtype": "section"}, "info:eu-repo/semantics/bookPart"),
        ({"type": "poster"}, "info:eu-repo/semantics/conferenceObject"),
        ({"type": "presentation"}, "info:eu-repo/semantics/lecture"),
        ({"type": "image", "subtype": "photo"}, "info:eu-repo/semantics/other"),
    ],
)
def test_openaire_publication_types(depositor, resource_type, eu_type):
    payload = to_oai_dc(make_record(depositor, all_fields(resource_type=resource_type)))
    assert dc(payload, "type")[0] == eu_type


def test_file_formats_and_community_relation(depositor, community, monkeypatch):
    from records.models import CommunityRecord

    monkeypatch.setattr(
        "storage.services.current_files",
        lambda record: [{"key": "a.csv", "size": 3, "md5": "0" * 32, "mimetype": "text/csv"}],
    )
    record = make_record(depositor, all_fields(access_right="open"))
    CommunityRecord.objects.create(community=community, record=record)
    payload = to_oai_dc(record)
    assert dc(payload, "format") == ["text/csv"]
    assert "http://127.0.0.1:8000/communities/stockholm-ai/" in dc(payload, "relation")
    assert validate("oai_dc", payload)[0]
