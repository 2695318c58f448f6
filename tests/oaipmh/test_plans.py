"""Plans that hold (#19): the list pages walk the ``(datestamp, id)`` index with a row comparison, and
no Sort over the table, with fresh statistics and with none (a bulk load the planner has not seen)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import etree

from oaipmh.services import VISIBLE_STATES
from records.models import CommunityRecord, RecordState
from repository.demo import bulk_publish, demo_metadata
from tests.oaipmh.conftest import token_of

RECORDS_STREAM = '"records_record"."datestamp" AS "key"'  # the stream keyed by the record's datestamp


@pytest.fixture
def seeded(depositor, community, settings):
    settings.OAI_PAGE_SIZE = 50
    start = timezone.now() - dt.timedelta(days=400)
    stamps = [start + dt.timedelta(hours=i) for i in range(400)]
    ids = bulk_publish(depositor, [demo_metadata(i) for i in range(400)], published_at=stamps)
    CommunityRecord.objects.bulk_create(
        [
            CommunityRecord(community=community, record_id=pk, added_at=s)
            for pk, s in zip(ids[::2], stamps[::2], strict=True)
        ]
    )
    return ids


TABLES = ("records_record", "communities_communityrecord")


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(TABLES)}")


def _forget_statistics() -> None:
    """The tables as the planner sees them before any ANALYZE (as after a bulk load): no column
    statistics, no row count (ANALYZE by earlier tests writes pg_class in place, outside their
    rolled-back transactions). Undone with this test's transaction."""
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute("DELETE FROM pg_statistic WHERE starelid = %s::regclass", [table])
            cursor.execute(
                "UPDATE pg_class SET reltuples = -1, relpages = 0 WHERE oid = %s::regclass", [table]
            )


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _page_plans(client, params) -> tuple[bytes, list[tuple[str, list[dict]]]]:
    """The response body, and the plan of each list query the page ran (EXPLAIN (FORMAT JSON))."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/oai2d", params)
        body = b"".join(response.streaming_content)
    assert response.status_code == 200
    plans = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.startswith("SELECT") and "ORDER BY" in sql and "LIMIT" in sql and '"key"' in sql:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            plans.append((sql, list(_nodes(plan[0]["Plan"]))))
    assert plans, "no list query captured"
    return body, plans


def _first_and_next(client, params):
    body, first = _page_plans(client, params)
    token = token_of(etree.fromstring(body))
    assert token is not None and token.text
    _body, following = _page_plans(client, {"verb": params["verb"], "resumptionToken": token.text})
    assert any("ROW(" in str(n.get("Index Cond", "")) for _sql, nodes in following for n in nodes), (
        "the keyset is not a row comparison in the index condition"
    )
    return first + following


def _assert_index_walk(nodes: list[dict]) -> None:
    types = [n["Node Type"] for n in nodes]
    assert "Sort" not in types and "Incremental Sort" not in types, types
    assert not any(n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "records_record" for n in nodes)
    assert any(n.get("Index Name") == "record_datestamp_id" for n in nodes), types


@pytest.mark.parametrize("statistics", ["absent", "analysed"])
@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
def test_a_whole_repository_page_walks_the_index_without_sorting(client, seeded, statistics, verb):
    if statistics == "analysed":
        _analyze()
    else:
        _forget_statistics()
    plans = _first_and_next(client, {"verb": verb, "metadataPrefix": "oai_dc"})
    assert len(plans) == 2  # one stream per page
    for _sql, nodes in plans:
        _assert_index_walk(nodes)


def test_a_set_page_walks_the_index_without_sorting(client, seeded):
    _analyze()
    plans = _first_and_next(
        client, {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "user-stockholm-ai"}
    )
    streams = [nodes for sql, nodes in plans if RECORDS_STREAM in sql]
    assert len(streams) == 2  # the records' stream of the first page and of the next
    for nodes in streams:
        _assert_index_walk(nodes)


def test_visible_records_are_every_state_but_draft():
    """``visible_records`` is written ``state <> 'draft'`` for the planner: the same as ``VISIBLE_STATES``
    only while every other state is one OAI-PMH shows."""
    assert set(RecordState.values) - {RecordState.DRAFT} == set(VISIBLE_STATES)
