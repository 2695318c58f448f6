"""The API's search deep in its results: a page reached by cursor (keyset) against the same page asked
by number (``?page=``, OFFSET) and against the first page (the baseline), for ``sort=newest`` over every
record and ``sort=relevance`` for a word most records hold. Prints the median time of each and the ratios.
Target: a deep cursor page within 3× the first page.

Usage: .venv/bin/python bench/search_cursor.py [--records 20000] [--runs 5]
Environment: DATABASE_URL (default: SQLite in a temporary folder).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from repository.stack import bench_django  # noqa: E402

SIZE = 20


def seed(count: int) -> None:
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from repository.demo import bulk_publish, demo_metadata

    owner, _ = get_user_model().objects.get_or_create(username="bench-search", email="bench@example.org")
    start = timezone.now() - dt.timedelta(days=3650)
    for first in range(0, count, 5_000):
        chunk = range(first, min(count, first + 5_000))
        metas = [demo_metadata(i) for i in chunk]
        for meta in metas:
            meta["title"] = "Survey " + meta["title"]  # one word every record holds: relevance over all
        stamps = [start + dt.timedelta(minutes=i) for i in chunk]
        bulk_publish(owner, metas, published_at=stamps, check_every=50)


def median_ms(client, url: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.content[:300])  # noqa: S101 (no timing of a failure)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bench_django("bench-search-cursor-")
    from django.conf import settings
    from django.db import connection
    from rest_framework.test import APIClient

    from records.search import Cursor, SearchParams, _matching, _sort_fields, sort_of

    settings.ALLOWED_HOSTS = ["*"]
    started = time.perf_counter()
    seed(args.records)
    if connection.vendor == "postgresql":
        with connection.cursor() as db:
            db.execute("ANALYZE records_record")
    print(f"seeded {args.records} records in {time.perf_counter() - started:.1f} s ({connection.vendor})")
    client = APIClient()
    depth = (args.records * 9 // 10) // SIZE * SIZE  # the page that starts 90 % deep
    ok = True
    for query in ({"sort": "newest"}, {"q": "survey", "sort": "relevance"}):
        params = SearchParams(q=query.get("q", ""), sort=query["sort"])
        order = [f"-{name}" for name in _sort_fields(params)]
        before = _matching(params).order_by(*order)[depth - 1]  # the row a cursor to this depth names
        cursor = Cursor.of(before, sort_of(params)).encode()
        base = f"/api/v1/records?{urlencode({**query, 'size': SIZE})}"
        first = median_ms(client, base, args.runs)
        deep_cursor = median_ms(client, f"{base}&cursor={cursor}", args.runs)
        deep_page = median_ms(client, f"{base}&page={depth // SIZE + 1}", args.runs)
        label = query["sort"]
        print(f"{label:9} baseline: first page                 {first:8.1f} ms")
        print(
            f"{label:9} by cursor at record {depth:<8}          {deep_cursor:8.1f} ms  ratio {deep_cursor / first:.2f}"
        )
        print(
            f"{label:9} by ?page= (OFFSET) at record {depth:<8} {deep_page:8.1f} ms  ratio {deep_page / first:.2f}"
        )
        ok = ok and deep_cursor < 3 * first
    print("target (a deep cursor page within 3× the first):", "met" if ok else "MISSED")


if __name__ == "__main__":
    main()
