"""Landing page at the metadata caps: a record with the most creators, contributors, references and related
identifiers the schema allows, against a record with two creators (the baseline). Prints the median render
time of each, their ratio, the HTML size and the SQL queries. Targets: at the cap under 300 ms and 200 KB.

Usage: .venv/bin/python bench/landing_cap.py [--runs 20]
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
    bench_django("bench-landing-")


def caps() -> dict[str, int]:
    from records.validation import load_schema

    properties = load_schema()["properties"]
    return {
        name: properties[name]["maxItems"]
        for name in ("creators", "contributors", "references", "related_identifiers")
    }


def metadata(creators: int, contributors: int = 0, references: int = 0, related: int = 0) -> dict:
    return {
        "resource_type": {"type": "dataset"},
        "title": "Landing page benchmark",
        "publication_date": "2024-05-17",
        "creators": [
            {
                "name": f"Författare, Nummer {n}",
                "affiliations": [{"name": "KTH Royal Institute of Technology"}],
            }
            for n in range(creators)
        ],
        "contributors": [
            {"name": f"Bidrag, Nummer {n}", "role": "DataCollector"} for n in range(contributors)
        ],
        "references": [f"Reference number {n}, Journal of Benchmarks 1 (2024)." for n in range(references)],
        "related_identifiers": [
            {"identifier": f"10.1234/related.{n}", "scheme": "doi", "relation": "Cites"}
            for n in range(related)
        ],
        "description": "<p>A record at the caps of the metadata schema.</p>",
        "access_right": "open",
        "license": "CC-BY-4.0",
    }


def publish(meta: dict):
    from accounts.models import User
    from records import services

    user, _ = User.objects.get_or_create(username="bench", defaults={"email": "bench@example.org"})
    return services.publish(services.create_draft(user, meta), user, declaration_accepted=True)


def measure(record, runs: int) -> tuple[float, int, int]:
    """(median seconds, HTML bytes, SQL queries) of GET /records/<id>/ through the whole middleware stack."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    url = record.get_absolute_url()
    client.get(url)  # warm caches (templates, translations)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        size = len(client.get(url).content)
    return statistics.median(times), size, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    setup()
    limits = caps()
    small = publish(metadata(2))
    big = publish(
        metadata(
            limits["creators"], limits["contributors"], limits["references"], limits["related_identifiers"]
        )
    )
    base_time, base_size, base_queries = measure(small, args.runs)
    cap_time, cap_size, cap_queries = measure(big, args.runs)
    print(f"caps: {limits}")
    print(
        f"baseline (2 creators): {base_time * 1000:.1f} ms, {base_size / 1000:.1f} kB, {base_queries} queries"
    )
    print(f"at the caps:           {cap_time * 1000:.1f} ms, {cap_size / 1000:.1f} kB, {cap_queries} queries")
    print(f"ratio at caps / baseline: {cap_time / base_time:.2f} (time), {cap_size / base_size:.2f} (size)")
    ok = cap_time < 0.3 and cap_size < 200_000
    print("targets (< 300 ms, < 200 kB):", "met" if ok else "MISSED")


if __name__ == "__main__":
    main()
