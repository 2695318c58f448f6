"""The Zenodo-shaped records API: one record, its files, latest version, search with field queries."""

from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from curation.services import publish_record
from records import services
from storage import services as storage
from tests.zenodo.conftest import token_for
from zenodo.mapping import to_portal

RECORDS = "/api/records"


@pytest.fixture
def anonymous(settings) -> APIClient:
    settings.SITE_URL = "http://testserver"
    return APIClient()


def make_record(depositor, legacy: dict, files: dict[str, bytes] | None = None, **changes):
    record = services.create_draft(depositor, to_portal({**legacy, **changes}).metadata)
    for key, payload in (files or {}).items():
        storage.store_bytes(record.files_bucket(), key, payload, depositor)
    return publish_record(record, depositor)


def test_record_in_zenodo_shape(anonymous, depositor, legacy_metadata):
    payload = b"depth,d18O\n"
    record = make_record(depositor, legacy_metadata, {"data/cores.csv": payload})
    response = anonymous.get(f"{RECORDS}/{record.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == record.pk and body["recid"] == str(record.pk)
    assert body["conceptrecid"] == str(record.pk) and body["conceptdoi"] == record.doi == body["doi"]
    assert body["doi_url"] == f"https://doi.org/{record.doi}" and body["status"] == "published"
    metadata = body["metadata"]
    assert metadata["title"] == legacy_metadata["title"]
    assert metadata["license"] == {"id": "cc-by-4.0"}
    assert metadata["resource_type"] == {"type": "dataset"}
    assert metadata["communities"] == []
    assert metadata["relations"]["version"][0]["is_last"] is True
    assert metadata["creators"][0] == {
        "name": "Lindqvist, Åsa",
        "affiliation": "Stockholm University",
        "orcid": "0000-0002-1825-0097",
    }
    [entry] = body["files"]
    assert entry["key"] == "data/cores.csv" and entry["size"] == len(payload)
    assert entry["checksum"] == "md5:" + hashlib.md5(payload).hexdigest()
    assert entry["links"]["self"] == f"http://testserver/api/records/{record.pk}/files/data/cores.csv/content"
    links = body["links"]
    assert links["latest"] == f"http://testserver/api/records/{record.pk}/versions/latest"
    assert links["html"] == f"http://testserver/records/{record.pk}/"
    assert {"self", "doi", "files", "versions"} <= set(links)

    content = anonymous.get(f"{RECORDS}/{record.pk}/files/data/cores.csv/content")
    assert content.status_code == 200 and b"".join(content.streaming_content) == payload
    latest = anonymous.get(f"{RECORDS}/{record.pk}/versions/latest")
    assert latest.status_code == 302 and latest["Location"] == f"http://testserver/api/records/{record.pk}"


def test_communities_and_subtypes_are_shown(anonymous, depositor, legacy_metadata, community, curator):
    from curation.models import InclusionRequest
    from curation.services import accept

    legacy_metadata.update(upload_type="publication", publication_type="article")
    record = services.create_draft(
        depositor, to_portal(legacy_metadata).metadata, communities=[community.slug]
    )
    publish_record(record, depositor)
    accept(curator, InclusionRequest.objects.get(record=record))
    metadata = anonymous.get(f"{RECORDS}/{record.pk}").json()["metadata"]
    assert metadata["communities"] == [{"id": community.slug}]
    assert metadata["resource_type"] == {"type": "publication", "subtype": "article"}


def test_drafts_are_404_and_withdrawn_records_410(anonymous, depositor, staff, legacy_metadata):
    draft = services.create_draft(depositor, {})
    response = anonymous.get(f"{RECORDS}/{draft.pk}")
    assert response.status_code == 404 and response.json()["status"] == 404
    record = make_record(depositor, legacy_metadata)
    services.withdraw(record, staff, "Duplicate of another record")
    response = anonymous.get(f"{RECORDS}/{record.pk}")
    assert response.status_code == 410
    assert response.json()["status"] == 410 and "Duplicate" in response.json()["message"]


def test_restricted_files_are_not_listed_for_others(anonymous, depositor, legacy_metadata):
    record = make_record(
        depositor,
        legacy_metadata,
        {"secret.csv": b"x"},
        access_right="restricted",
        access_conditions="Ask the PI.",
        license="",
    )
    assert anonymous.get(f"{RECORDS}/{record.pk}").json()["files"] == []
    assert anonymous.get(f"{RECORDS}/{record.pk}/files/secret.csv/content").status_code == 403


def test_search_with_field_queries_paging_and_aggregations(anonymous, depositor, legacy_metadata):
    records = [
        make_record(depositor, legacy_metadata, title=f"Ice core series {n}", keywords=["ice"])
        for n in range(3)
    ]
    other = make_record(depositor, legacy_metadata, title="Lake sediments", upload_type="software")

    body = anonymous.get(RECORDS, {"q": "ice core", "size": 2}).json()
    assert body["hits"]["total"] == 3 and len(body["hits"]["hits"]) == 2
    assert "page=2" in body["links"]["next"]
    assert {b["key"] for b in body["aggregations"]["type"]["buckets"]} == {"dataset"}
    second = anonymous.get(body["links"]["next"].removeprefix("http://testserver")).json()
    seen = {h["id"] for h in body["hits"]["hits"]} | {h["id"] for h in second["hits"]["hits"]}
    assert seen == {r.pk for r in records}

    for query in (f"conceptrecid:{other.pk}", f"recid:{other.pk}", f'doi:"{other.doi}"', "title:sediments"):
        hits = anonymous.get(RECORDS, {"q": query}).json()["hits"]
        assert [h["id"] for h in hits["hits"]] == [other.pk], query
    wildcard = other.doi.replace("/", "*")
    assert [
        h["id"] for h in anonymous.get(RECORDS, {"q": f"conceptdoi:{wildcard}"}).json()["hits"]["hits"]
    ] == [other.pk]
    assert anonymous.get(RECORDS, {"type": "software"}).json()["hits"]["total"] == 1


def test_tokens_and_bodies_on_public_reads_are_harmless(anonymous, depositor, legacy_metadata):
    record = make_record(depositor, legacy_metadata)
    good = anonymous.get(f"{RECORDS}/{record.pk}", {"access_token": token_for(depositor)})
    assert good.status_code == 200
    stale = anonymous.get(f"{RECORDS}/{record.pk}", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert stale.status_code == 200
    with_body = anonymous.generic("GET", RECORDS, '{"query": 1}', content_type="application/json")
    assert with_body.status_code == 200 and with_body.json()["hits"]["total"] == 1


def test_record_search_queries_do_not_grow_with_the_hits(anonymous, depositor, legacy_metadata):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            body = anonymous.get(RECORDS, {"q": "ice"}).json()
        assert all(len(hit["files"]) == 2 for hit in body["hits"]["hits"])
        return len(queries)

    for n in range(2):
        make_record(depositor, legacy_metadata, {"a.txt": b"a", "b.txt": b"b"}, title=f"Ice core {n}")
    two = count()
    for n in range(3):
        make_record(depositor, legacy_metadata, {"a.txt": b"a", "b.txt": b"b"}, title=f"Ice core more {n}")
    assert count() == two
