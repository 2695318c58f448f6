"""OpenAIRE's type sets (issue 17): ``openaire`` (literature) and ``openaire_data`` (datasets and
software), beside the community sets, membership by resource type."""

from __future__ import annotations

import pytest

from tests.oaipmh.conftest import NS, REPOSITORY, error_codes, harvest, withdraw_record

KINDS = {
    "dataset": {"type": "dataset"},
    "software": {"type": "software"},
    "article": {"type": "publication", "subtype": "article"},
    "poster": {"type": "poster"},
    "image": {"type": "image", "subtype": "photo"},
}


def ident(record) -> str:
    return f"oai:{REPOSITORY}:{record.pk}"


@pytest.fixture
def repository(publish_record):
    return {kind: [publish_record(resource_type=rt) for _ in range(2)] for kind, rt in KINDS.items()}


def harvested(oai, spec: str, verb: str = "ListRecords") -> dict[str, bool]:
    headers, _pages = harvest(oai, verb=verb, metadataPrefix="oai_dc", set=spec)
    return {h.findtext("oai:identifier", namespaces=NS): h.get("status") == "deleted" for h in headers}


@pytest.mark.django_db
@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
def test_openaire_data_harvest_returns_exactly_the_datasets_and_software(oai, settings, repository, verb):
    settings.OAI_PAGE_SIZE = 3  # paged: four records over two pages
    expected = {ident(r): False for kind in ("dataset", "software") for r in repository[kind]}
    found = harvested(oai, "openaire_data", verb)
    assert set(found) == set(expected), "identifiers"
    assert found == expected


@pytest.mark.django_db
def test_openaire_harvest_returns_the_literature(oai, repository):
    expected = {ident(r): False for kind in ("article", "poster") for r in repository[kind]}
    assert harvested(oai, "openaire") == expected


@pytest.mark.django_db
def test_headers_name_the_type_sets(oai, repository):
    for kind, specs in {"dataset": ["openaire_data"], "article": ["openaire"], "image": []}.items():
        root = oai(verb="GetRecord", identifier=ident(repository[kind][0]), metadataPrefix="oai_dc")
        assert [s.text for s in root.iterfind(".//oai:header/oai:setSpec", NS)] == specs, kind


@pytest.mark.django_db
def test_a_withdrawn_dataset_is_deleted_within_openaire_data(
    oai, repository, staff, django_capture_on_commit_callbacks
):
    gone = withdraw_record(repository["dataset"][0], staff, django_capture_on_commit_callbacks)
    found = harvested(oai, "openaire_data")
    assert found[ident(gone)] is True
    assert sum(found.values()) == 1 and len(found) == 4


@pytest.mark.django_db
def test_list_sets_describes_the_type_sets(oai):
    root = oai(verb="ListSets")
    assert error_codes(root) == []
    sets = {
        s.findtext("oai:setSpec", namespaces=NS): (
            s.findtext("oai:setName", namespaces=NS),
            s.findtext("oai:setDescription/oai_dc:dc/dc:description", namespaces=NS),
        )
        for s in root.iterfind(".//oai:set", NS)
    }
    assert sets == {
        "openaire": (
            "OpenAIRE: literature",
            "Publications, posters and presentations, for OpenAIRE's literature harvest.",
        ),
        "openaire_data": (
            "OpenAIRE: research data",
            "Datasets and software, for OpenAIRE's research data harvest.",
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_sickle_harvests_openaire_data(live_server, settings, publish_record):
    from sickle import Sickle

    settings.SITE_URL = live_server.url
    settings.OAI_PAGE_SIZE = 2
    made = {kind: [publish_record(resource_type=rt) for _ in range(2)] for kind, rt in KINDS.items()}
    sickle = Sickle(f"{live_server.url}/oai2d", max_retries=0)
    headers = list(sickle.ListIdentifiers(metadataPrefix="oai_datacite", set="openaire_data"))
    assert sorted(h.identifier for h in headers) == sorted(
        ident(r) for kind in ("dataset", "software") for r in made[kind]
    )
    assert all("openaire_data" in h.setSpecs for h in headers)
