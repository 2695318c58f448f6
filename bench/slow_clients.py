"""Slow-client benchmark: /healthz latency through the production serving stack (Debian's nginx with
deploy/nginx.conf in front of gunicorn with deploy/gunicorn.conf.py, on loopback) while 20 half-open
connections stall and 5 slow readers take a "download all" ZIP a few bytes at a time, against a baseline
of the same requests with no load. Prints both, their ratio, and (with --compare-direct) what the same
load does to gunicorn alone.

Usage: .venv/bin/python bench/slow_clients.py [--half-open 20] [--readers 5] [--probes 20]
       [--zip-mib 8] [--compare-direct]
Environment: DATABASE_URL (default: SQLite in a temporary folder), BENCH_DIR (default: var/bench).
Target: the slowest /healthz under load < 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from repository.stack import SlowClients, bench_workspace, serving_stack

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 10.0


def prepare(env: dict, zip_mib: int) -> int:
    """Migrate, and publish a record with ``zip_mib`` MiB of random files (in a child process)."""
    script = (
        "import os, django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "from accounts.models import User\n"
        "from records.services import create_draft, publish\n"
        "from storage import services\n"
        "user, _ = User.objects.get_or_create(username='bench', defaults={'email': 'bench@example.org'})\n"
        "meta = {'resource_type': {'type': 'dataset'}, 'title': 'Slow-client benchmark',\n"
        "        'publication_date': '2024-05-17', 'creators': [{'name': 'Bench, Mark'}],\n"
        "        'description': '<p>bench</p>', 'access_right': 'open', 'license': 'CC-BY-4.0'}\n"
        "record = create_draft(user, meta)\n"
        f"for index in range({zip_mib}):\n"
        "    services.store_bytes(record.bucket, f'part-{index}.bin', os.urandom(1024 * 1024), user)\n"
        "record = publish(record, user, declaration_accepted=True)\n"
        "print(record.pk)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit("preparing the database failed:\n" + result.stderr)
    return int(result.stdout.split()[-1])


def probe(port: int) -> float:
    """Seconds for one GET /healthz (``inf`` if it did not answer 200 within the client timeout)."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        return time.perf_counter() - start if response.status == 200 else float("inf")
    except OSError:
        return float("inf")
    finally:
        connection.close()


def describe(times: list[float]) -> str:
    answered = [t for t in times if t != float("inf")]
    if not answered:
        return f"no answer within {TIMEOUT:.0f} s ({len(times)} tries)"
    missing = len(times) - len(answered)
    text = f"median {statistics.median(answered) * 1000:7.1f} ms  max {max(answered) * 1000:7.1f} ms"
    return text + (f"  ({missing} of {len(times)} unanswered within {TIMEOUT:.0f} s)" if missing else "")


def under_load(port: int, zip_path: str, args: argparse.Namespace, probes: int) -> list[float]:
    with SlowClients(port, zip_path, half_open=args.half_open, readers=args.readers) as load:
        with contextlib.suppress(TimeoutError):  # gunicorn alone: readers may get no thread; measure anyway
            load.wait_until_reading(timeout=TIMEOUT)
        return [probe(port) for _ in range(probes)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half-open", type=int, default=20)
    parser.add_argument("--readers", type=int, default=5)
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--zip-mib", type=int, default=8)
    parser.add_argument("--compare-direct", action="store_true", help="also load gunicorn without nginx")
    args, _unknown = parser.parse_known_args()  # `make bench -- …` passes every script the same options

    work, env = bench_workspace("slow-", ROOT)
    var = work / "var"
    env.update({"X_ACCEL_REDIRECT_PREFIX": "/protected/", "GUNICORN_LOG_LEVEL": "warning"})
    try:
        (var / "staticfiles").mkdir(parents=True, exist_ok=True)
        record_id = prepare(env, args.zip_mib)
        zip_path = f"/records/{record_id}/files.zip"
        with serving_stack(
            env, work / "stack", storage_root=var / "storage", upload_max_body=50 * 10**9
        ) as stack:
            for _ in range(5):  # every worker imports everything before we measure
                probe(stack.proxy_port)
            idle = [probe(stack.proxy_port) for _ in range(args.probes)]
            loaded = under_load(stack.proxy_port, zip_path, args, args.probes)
            direct = under_load(stack.app_port, zip_path, args, 3) if args.compare_direct else []

        print()
        print(
            f"Slow-client benchmark: {args.half_open} half-open connections + {args.readers} slow readers of a "
            f"{args.zip_mib} MiB ZIP, /healthz probed {args.probes} times ({TIMEOUT:.0f} s client timeout)"
        )
        print(f"  baseline (no load, through nginx)   {describe(idle)}")
        print(f"  under load, through nginx           {describe(loaded)}")
        if direct:
            print(f"  under load, gunicorn alone          {describe(direct)}")
        worst_idle = max(idle)
        worst = max(loaded)
        if worst != float("inf") and worst_idle != float("inf"):
            ratio = statistics.median(loaded) / statistics.median(idle)
            print(f"  ratio (median under load / median baseline) {ratio:.2f}")
        ok = worst < 1.0
        print(f"  target (slowest /healthz under load < 1 s): {'met' if ok else 'NOT met'}")
        if not ok:
            sys.exit(1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
