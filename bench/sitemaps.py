"""Sitemaps at scale: /sitemap.xml (the index) and a full sitemap of SITEMAP_MAX_URLS (50,000) landing
pages, over --records published records (default 100,000). Prints the median time of each (whole body
streamed), its size and queries, against the first page of 100 URLs (the baseline). Target: under a
second each.

Usage: .venv/bin/python bench/sitemaps.py [--records 100000] [--runs 3]
Environment: DATABASE_URL (default: SQLite in a temporary folder).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from repository.stack import bench_django  # noqa: E402


def setup() -> None:
    bench_django("bench-sitemaps-")


def seed(count: int) -> None:
    """Published rows as the sitemaps read them (id, state, datestamp), a draft and a tombstone in ten."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from records.models import Record, RecordState

    owner, _ = get_user_model().objects.get_or_create(username="bench-sitemaps", email="bench@example.org")
    now = timezone.now()
    batch = []
    for n in range(count):
        state = RecordState.PUBLISHED
        if n % 10 == 3:
            state = RecordState.DRAFT
        elif n % 10 == 7:
            state = RecordState.WITHDRAWN
        stamp = now - dt.timedelta(minutes=count - n)
        batch.append(Record(owner=owner, state=state, metadata={"title": f"Record {n}"}, datestamp=stamp))
        if len(batch) == 5_000:
            Record.objects.bulk_create(batch)
            batch = []
    Record.objects.bulk_create(batch)


def measure(client, path: str, runs: int) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    size = queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(path)
            size = sum(len(chunk) for chunk in response.streaming_content)
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, path  # noqa: S101 (a failed request is no timing)
        queries = len(captured)
    return statistics.median(times), size, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup()
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    started = time.perf_counter()
    seed(args.records)
    print(f"seeded {args.records} records in {time.perf_counter() - started:.1f} s")
    from records.models import Record

    published = Record.objects.published()
    first = published.order_by("pk").values_list("pk", flat=True).first()
    client = Client()
    index = measure(client, "/sitemap.xml", args.runs)
    full = measure(client, f"/sitemaps/records-{first}.xml", args.runs)
    settings.SITEMAP_MAX_URLS = 100
    base = measure(client, f"/sitemaps/records-{first}.xml", args.runs)
    settings.SITEMAP_MAX_URLS = 50_000
    last = measure(
        client, f"/sitemaps/records-{published.order_by('-pk').values_list('pk', flat=True)[0]}.xml", 1
    )
    for name, (seconds, size, queries) in (
        ("baseline: a sitemap of 100 URLs", base),
        (f"index over {published.count()} published", index),
        ("a full sitemap (50,000 URLs)", full),
        ("the last sitemap (one URL, deep key)", last),
    ):
        print(f"{name:40} {seconds * 1000:8.1f} ms {size / 1000:9.1f} kB {queries} queries")
    print(f"ratio full / baseline: {full[0] / base[0]:.1f}")
    ok = index[0] < 1 and full[0] < 1
    print("targets (< 1 s each):", "met" if ok else "MISSED")


if __name__ == "__main__":
    main()
