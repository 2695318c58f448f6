"""Usage counting costs a download nothing: a large file (--size-mib, default 1024 = 1 GiB) downloaded
in full through the application with counting off (STATS_COUNTING=False, the baseline) and on, runs
alternated; prints the median of each, their ratio, and what one counted landing-page view adds. The
count is one small insert per request, made before the first byte is sent. Target: ratio at most 1.05.

Usage: .venv/bin/python bench/stats_downloads.py [--size-mib 1024] [--runs 5]
Environment: DATABASE_URL (default: SQLite in a temporary folder).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from repository.stack import bench_django  # noqa: E402

CHUNK = 8 * 1024 * 1024


class Pattern(io.RawIOBase):
    """``size`` bytes of a repeating pseudo-random block, read without holding them in memory."""

    def __init__(self, size: int):
        self.left = size
        self.block = os.urandom(CHUNK)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left, CHUNK)
        buffer[:n] = self.block[:n]
        self.left -= n
        return n


def publish(size: int) -> int:
    from django.contrib.auth import get_user_model

    from records.services import create_draft, publish
    from storage.services import store_stream

    user, _ = get_user_model().objects.get_or_create(username="bench-stats", email="bench-stats@example.org")
    meta = {
        "resource_type": {"type": "dataset"},
        "title": "Counting benchmark",
        "publication_date": "2024-05-17",
        "creators": [{"name": "Bench, Mark"}],
        "description": "<p>bench</p>",
        "access_right": "open",
        "license": "CC-BY-4.0",
    }
    draft = create_draft(user, meta)
    store_stream(draft.files_bucket(), "large.bin", io.BufferedReader(Pattern(size), CHUNK), user, size=size)
    return publish(draft, user, declaration_accepted=True).pk


def timed(client, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path, HTTP_USER_AGENT="Mozilla/5.0 (bench)")
    assert response.status_code == 200, path  # noqa: S101 (a failed request is no timing)
    body = response.streaming_content if response.streaming else [response.content]
    for _chunk in body:
        pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bench_django("bench-stats-")
    from django.conf import settings
    from django.test import Client

    from stats.models import Event

    settings.ALLOWED_HOSTS = ["*"]
    started = time.perf_counter()
    record_id = publish(args.size_mib * 1024 * 1024)
    print(f"stored a {args.size_mib} MiB file in {time.perf_counter() - started:.1f} s")
    client = Client()
    path = f"/records/{record_id}/files/large.bin"
    settings.STATS_COUNTING = False
    timed(client, path)  # warm the page cache
    off: list[float] = []
    on: list[float] = []
    view_off: list[float] = []
    view_on: list[float] = []
    for _ in range(args.runs):
        for counting, downloads, views in ((False, off, view_off), (True, on, view_on)):
            settings.STATS_COUNTING = counting
            downloads.append(timed(client, path))
            views.append(timed(client, f"/records/{record_id}/"))
    counted = Event.objects.count()
    base, figure = statistics.median(off), statistics.median(on)
    print(f"baseline: download, counting off {base * 1000:10.1f} ms ({args.size_mib / base:.0f} MiB/s)")
    print(
        f"download, counting on               {figure * 1000:10.1f} ms ({args.size_mib / figure:.0f} MiB/s)"
    )
    print(
        f"ratio on / off: {figure / base:.3f}   ({counted} events written for {2 * args.runs} counted requests)"
    )
    view_base, view_figure = statistics.median(view_off), statistics.median(view_on)
    print(f"landing page: off {view_base * 1000:.1f} ms, on {view_figure * 1000:.1f} ms")
    print("target (ratio <= 1.05):", "met" if figure / base <= 1.05 else "MISSED")


if __name__ == "__main__":
    main()
