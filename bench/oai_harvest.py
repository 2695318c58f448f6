"""OAI-PMH benchmark: seed N records, serve them with gunicorn, harvest everything with Sickle.

    .venv/bin/python bench/oai_harvest.py [--records 100000] [--database repo_bench_oai]

1. a PostgreSQL database of its own (created if missing, migrated);
2. ``seed_demo --records N --files-per-record 0`` (the records app's bulk path: the same rows as
   the deposit verbs), then ``oai_render --workers 2`` renders the stored payloads (every format);
   both are idempotent, so a second run reuses the data;
3. gunicorn (2 sync workers) serves the site; Sickle (GET) harvests ListRecords in oai_dc, following
   every resumption token, and builds its Record objects as a harvester does;
4. prints records per second (target >= 2,000), the last pages' time over the first pages' (target
   <= 1.2: keyset paging, no OFFSET) and the server's RSS before and after.

Exit status 1 if the harvest did not return every record the database has.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from repository.loopback import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
EDGE_PAGES = 10  # pages averaged at each end for the ratio
PHASES: dict[str, float] = {}  # wall seconds of each step, for the summary


def ensure_database(name: str, host: str, port: int, user: str) -> None:
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", host=host, port=port, user=user)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def vacuum(name: str, host: str, port: int, user: str) -> None:
    """VACUUM ANALYZE after bulk loading, as autovacuum would have done on a live database."""
    import psycopg2

    started = time.monotonic()
    conn = psycopg2.connect(dbname=name, host=host, port=port, user=user)
    conn.autocommit = True
    with conn.cursor() as cur:
        for table in ("records_record", "oaipmh_renderedpayload", "communities_communityrecord"):
            cur.execute(f"VACUUM ANALYZE {table}")
    conn.close()
    PHASES["vacuum"] = time.monotonic() - started
    print(f"VACUUM ANALYZE ({PHASES['vacuum']:.1f} s)", flush=True)


def manage(env: dict, *args: str) -> None:
    started = time.monotonic()
    print(f"$ manage.py {' '.join(args)}", flush=True)
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)
    PHASES[args[0]] = time.monotonic() - started
    print(f"  ({PHASES[args[0]]:.1f} s)", flush=True)


def visible_count(env: dict) -> int:
    code = (
        "import django; django.setup(); from oaipmh.services import visible_records; "
        "print(visible_records().count())"
    )
    out = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return int(out.stdout.strip().splitlines()[-1])


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (gunicorn master + workers), in KiB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, StopIteration):
            continue
        todo.extend(int(child) for child in children)
    return total


def harvest(base_url: str) -> tuple[int, int, list[float], float]:
    """(records, deleted, per-page request seconds, wall seconds) of a full Sickle harvest in oai_dc."""
    from sickle import Sickle

    sickle = Sickle(base_url, max_retries=0, timeout=120)
    page_times: list[float] = []
    real_harvest = sickle.harvest

    def timed_harvest(**kwargs):
        started = time.perf_counter()
        response = real_harvest(**kwargs)
        page_times.append(time.perf_counter() - started)
        return response

    sickle.harvest = timed_harvest
    records = deleted = 0
    started = time.perf_counter()
    for record in sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False):
        records += 1
        if record.header.deleted:
            deleted += 1
        elif not record.metadata.get("title"):
            raise SystemExit(f"{record.header.identifier} has no dc:title")
    return records, deleted, page_times, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--database", default="repo_bench_oai")
    parser.add_argument("--db-host", default="127.0.0.1")
    parser.add_argument("--db-port", type=int, default=5432)
    parser.add_argument("--db-user", default="postgres")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument(
        "--site-url",
        default="http://127.0.0.1:8000",
        help="SITE_URL: payloads name it, so it stays the same across runs reusing the database "
        "(gunicorn listens on a free port, as behind a proxy)",
    )
    args = parser.parse_args()
    bench_started = time.monotonic()

    port = free_port()
    base_url = f"http://127.0.0.1:{port}/oai2d"
    var_dir = ROOT / "var" / "bench-oai"
    (var_dir / "staticfiles").mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "repository.settings",
        "DATABASE_URL": f"postgres://{args.db_user}@{args.db_host}:{args.db_port}/{args.database}",
        "SITE_URL": args.site_url,
        "DEBUG": "false",
        "VAR_DIR": str(var_dir),
        # The seeding's after-commit render tasks go nowhere: oai_render does that work in bulk.
        "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    ensure_database(args.database, args.db_host, args.db_port, args.db_user)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--records", str(args.records), "--files-per-record", "0")
    manage(env, "oai_render", "--workers", "2", "--batch-size", "1000")
    vacuum(args.database, args.db_host, args.db_port, args.db_user)
    expected = visible_count(env)
    print(f"records visible to OAI-PMH: {expected}", flush=True)

    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "repository.wsgi",
            "-w",
            str(args.gunicorn_workers),
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for_port(port)
        import requests

        for _ in range(2 * args.gunicorn_workers):  # warm every worker's code paths (not timed)
            requests.get(base_url, params={"verb": "Identify"}, timeout=60).raise_for_status()
            requests.get(base_url, params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}, timeout=60)
        rss_before = tree_rss_kib(server.pid)
        records, deleted, pages, wall = harvest(base_url)
        rss_after = tree_rss_kib(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    # The first page is shown on its own (it used to count the list for completeListSize), and the
    # ratio compares steady pages at both ends.
    first = statistics.mean(pages[1 : EDGE_PAGES + 1] or pages[:1])
    last = statistics.mean(pages[-EDGE_PAGES - 1 : -1] or pages[-1:])  # the final page is usually short
    rate = records / wall
    ratio = last / first
    print()
    print(
        f"OAI-PMH harvest (Sickle, GET, oai_dc, page size from OAI_PAGE_SIZE) of {records} records "
        f"({deleted} deleted) in {len(pages)} pages: {wall:.1f} s"
    )
    served = sum(pages)
    print(
        f"  time in HTTP requests:       {served:.1f} s ({records / served:,.0f} records/s served, "
        f"the rest is Sickle parsing and building its records)"
    )
    print(
        f"  records per second:          {rate:,.0f}   (target >= 2,000: {'met' if rate >= 2000 else 'NOT met'})"
    )
    print(f"  first page (with the count): {pages[0] * 1000:.1f} ms")
    print(f"  pages 2-{EDGE_PAGES + 1} mean:             {first * 1000:.1f} ms per page")
    print(f"  last {EDGE_PAGES} full pages mean:      {last * 1000:.1f} ms per page")
    print(
        f"  ratio last/first:            {ratio:.2f}   (target <= 1.2: {'met' if ratio <= 1.2 else 'NOT met'})"
    )
    print(
        f"  server RSS before / after:   {rss_before / 1024:.0f} MiB / {rss_after / 1024:.0f} MiB "
        f"(gunicorn master + {args.gunicorn_workers} workers)"
    )
    steps = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in PHASES.items())
    print(
        f"  benchmark wall time:         {time.monotonic() - bench_started:.0f} s in all ({steps}, "
        f"harvest {wall:.0f} s)"
    )
    if records != expected:
        print(f"INCOMPLETE: harvested {records} records, the database has {expected}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
