"""The API's search pages by cursor (keyset): every match exactly once, in order, for both sorts and
with filters; ``previous`` walks back; a damaged cursor is a 400 naming ``cursor``; a deep page's SQL
has no OFFSET."""

from __future__ import annotations

import base64
import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from records.models import Record
from records.search import SearchParams, search
from repository.demo import bulk_publish
from tests.records.conftest import make_metadata

LIST = "/api/v1/records"


def _meta(i: int) -> dict:
    # ranks vary (glacier in the title, once or twice in the description, or not at all) and tie
    # (records with the same text); every fourth record shares its publication time with three others
    title = f"Glacier survey {i}" if i % 3 == 0 else f"Field notes {i}"
    description = "<p>" + " ".join(["glacier melt"] * (i % 4)) + f" moraine {i}</p>"
    return make_metadata(
        title=title,
        description=description,
        resource_type={"type": "software" if i % 5 == 0 else "dataset"},
        publication_date=f"{2010 + i % 7}-01-01",
    )


@pytest.fixture
def many(depositor):
    start = timezone.now() - dt.timedelta(days=100)
    stamps = [start + dt.timedelta(hours=i // 4) for i in range(47)]
    return bulk_publish(depositor, [_meta(i) for i in range(47)], published_at=stamps)


def walk(client, params: dict, link: str = "next") -> tuple[list[int], list[dict]]:
    """Every id from the first page on, following ``link``; and each page's body."""
    bodies = [client.get(LIST, params).json()]
    while bodies[-1][link] and len(bodies) < 100:
        bodies.append(client.get(bodies[-1][link]).json())
    return [r["id"] for body in bodies for r in body["results"]], bodies


def expected(**params) -> list[int]:
    """The order the web search page (by number, one big page) gives the same query."""
    filters = {k: [v] for k, v in params.items() if k not in ("q", "sort")}
    found = search(
        SearchParams(q=params.get("q", ""), sort=params.get("sort", ""), filters=filters), page_size=500
    )
    return [r.pk for r in found.page.object_list]


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "newest"},
        {"q": "glacier", "sort": "newest"},
        {"q": "glacier"},  # relevance
        {"q": "glacier moraine", "type": "dataset"},
        {"type": "software", "year": "2015"},
        {"q": "moraine", "type": "dataset", "year": "2012"},
    ],
)
def test_walking_next_returns_every_match_once_in_order(many, params):
    client = APIClient()
    ids, bodies = walk(client, {**params, "size": 4})
    order = expected(**params)
    assert len(order) >= 2  # the query finds several records
    assert ids == order and len(set(ids)) == len(ids)
    assert all(len(b["results"]) == 4 for b in bodies[:-1]) and bodies[0]["count"] == len(order)
    assert "cursor=" in (bodies[0]["next"] or "cursor=") and "page=" not in (bodies[0]["next"] or "")
    assert "facets" in bodies[0] and all("facets" not in b for b in bodies[1:])  # once per query


def test_newest_is_published_at_then_id_descending(many):
    ids, _bodies = walk(APIClient(), {"size": 5})
    rows = Record.objects.filter(pk__in=many).order_by("-published_at", "-id").values_list("pk", flat=True)
    assert ids == list(rows) and len(ids) == 47


def test_relevance_ranks_tie_and_still_page_exactly(many):
    ids, _bodies = walk(APIClient(), {"q": "glacier", "size": 3})
    with connection.cursor() as cursor:  # the ranks of the walk, read apart: ties exist
        cursor.execute(
            "SELECT id, ts_rank(search_vector, websearch_to_tsquery('english', 'glacier')) FROM records_record "
            "WHERE id = ANY(%s)",
            [ids],
        )
        ranks = dict(cursor.fetchall())
    assert len(set(ranks.values())) < len(ranks) and len(set(ranks.values())) > 2
    assert ids == expected(q="glacier")


def test_previous_walks_back_over_the_same_pages(many):
    client = APIClient()
    for params in ({"q": "glacier", "size": 4}, {"sort": "newest", "type": "dataset", "size": 4}):
        forward, bodies = walk(client, params)
        backward = [[r["id"] for r in bodies[-1]["results"]]]
        body = bodies[-1]
        while body["previous"]:
            body = client.get(body["previous"]).json()
            backward.insert(0, [r["id"] for r in body["results"]])
        assert backward == [[r["id"] for r in b["results"]] for b in bodies]
        assert [pk for page in backward for pk in page] == forward
        assert body["previous"] is None and body["next"] == bodies[0]["next"]


def test_a_deep_page_has_no_offset(many):
    client = APIClient()
    for params in ({"sort": "newest", "size": 2}, {"q": "glacier", "size": 2}):
        _ids, bodies = walk(client, params)
        deep = bodies[-2]["next"]
        with CaptureQueriesContext(connection) as queries:
            response = client.get(deep)
        assert response.status_code == 200 and response.json()["results"]
        selects = [q["sql"] for q in queries.captured_queries if "records_record" in q["sql"]]
        assert selects and not any("OFFSET" in sql.upper() for sql in selects), selects
        assert any("LIMIT 3" in sql for sql in selects)  # size + 1: is there a next page


def test_the_old_page_parameter_still_answers_with_cursor_links(many):
    client = APIClient()
    order = expected(sort="newest")
    body = client.get(LIST, {"sort": "newest", "page": 2, "size": 10}).json()
    assert [r["id"] for r in body["results"]] == order[10:20]
    assert "cursor=" in body["next"] and "page=" not in body["next"]
    assert [r["id"] for r in client.get(body["next"]).json()["results"]] == order[20:30]
    assert [r["id"] for r in client.get(body["previous"]).json()["results"]] == order[0:10]


def _cursor(data) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "%%%",
        _cursor({"n": 1}),
        _cursor(["n", None, "2024-01-01T00:00:00", 5, 0]),  # no time zone
        _cursor(["n", None, "2024-01-01T00:00:00+00:00", "5", 0]),
        _cursor(["n", None, "2024-01-01T00:00:00+00:00", 2**70, 0]),
        _cursor(["r", 0.5, "2024-01-01T00:00:00+00:00", 5, 0]),  # a relevance cursor for newest
        _cursor(["n", None, "not a time", 5, 0]),
        "A" * 1000,
        "Ω",
    ],
)
def test_a_bad_cursor_is_a_400_naming_cursor(many, cursor):
    response = APIClient().get(LIST, {"sort": "newest", "cursor": cursor})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["status"] == 400 and [e["field"] for e in body["errors"]] == ["$.cursor"]
    assert "cursor" in body["message"]


def test_a_newest_cursor_for_a_relevance_search_is_a_400(many):
    first = APIClient().get(LIST, {"sort": "newest", "size": 2}).json()
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    assert APIClient().get(LIST, {"q": "glacier", "cursor": cursor}).status_code == 400
    assert APIClient().get(LIST, {"q": "glacier", "sort": "newest", "cursor": cursor}).status_code == 200
