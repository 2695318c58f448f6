"""Chunked against streaming uploads on a local primary and on an S3 primary (moto's standalone
server on loopback), and the S3-primary upload against the local-primary one.

Each run starts gunicorn (2 sync workers by default, so consecutive chunks land on different
worker processes) with ``STORAGE_LOCATIONS`` naming a local folder or an S3 bucket as primary,
uploads the same file once as one streaming PUT and once through the browser's chunked protocol,
and checks the stored SHA-256. Baseline: the single streaming request on the same primary.

Usage: .venv/bin/python bench/s3_upload.py [--size-mib 1024] [--chunk-mib 8] [--workers 2]
Environment: DATABASE_URL (default: SQLite in a temporary folder, one per primary), BENCH_DIR.
Each chunk is a request that commits its offset and hash state: on a busy machine the per-request
cost (authentication, a few queries, one commit) is what separates the two.
Targets: chunked within 1.3 x streaming, on both primaries. The S3/local ratio is reported (moto
keeps every object in its own memory and copies the parts at completion, so it is a floor for a
real service on loopback, not a prediction of one across a network).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import upload as base  # bench/upload.py: the HTTP client, the file maker, the database setup

from repository.loopback import free_port, wait_for_port
from repository.stack import bench_workspace

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
MOTO_KEY = "testing"  # moto accepts any credentials


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    executable = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    proc = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for_port(port, timeout=30)
    return proc, f"http://127.0.0.1:{port}"


def s3_client(endpoint: str):
    import boto3
    import botocore.config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=MOTO_KEY,
        aws_secret_access_key=MOTO_KEY,
        config=botocore.config.Config(s3={"addressing_style": "path"}),
    )


def start_gunicorn(env: dict, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "repository.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "3600",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    wait_for_port(port, timeout=60)
    return proc, port


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def settle(source: Path) -> None:
    """Each upload starts alike: the source in the page cache, and no dirty pages of the previous
    upload still being written back (the second upload would otherwise pay for the first's)."""
    subprocess.run(["cat", str(source)], stdout=subprocess.DEVNULL, check=True)
    os.sync()


def run_primary(label: str, env: dict, args, work: Path, source: Path, expected: str, size: int) -> dict:
    """Stream and chunk the file to one primary; returns the two times."""
    record_id, token = base.prepare_database(env)
    server, port = start_gunicorn(env, args.workers)
    try:
        client = base.Client(port, token)
        warm = work / "warm.bin"
        warm.write_bytes(b"w" * 3 * MIB)
        for index in range(2 * args.workers):  # every worker imports everything before we measure
            base.upload_streaming(client, record_id, f"warm-{label}-{index}.bin", warm)
            base.upload_chunked(client, record_id, f"warm-c-{label}-{index}.bin", warm, MIB)
        settle(source)
        start = time.perf_counter()
        streamed = base.upload_streaming(client, record_id, "bench/streamed.bin", source)
        stream_time = time.perf_counter() - start
        settle(source)
        start = time.perf_counter()
        chunked = base.upload_chunked(client, record_id, "bench/chunked.bin", source, args.chunk_mib * MIB)
        chunk_time = time.perf_counter() - start
    finally:
        stop(server)
    for kind, result in (("streaming", streamed), ("chunked", chunked)):
        if result["sha256"] != "sha256:" + expected or result["size"] != size:
            raise SystemExit(f"{label}: the {kind} upload stored the wrong bytes: {result}")
    return {"stream": stream_time, "chunk": chunk_time, "finish": chunked["finish_seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--chunk-mib", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args, _unknown = parser.parse_known_args()  # `make bench -- …` passes every script the same options

    work, env = bench_workspace("s3-upload-", ROOT)
    moto = None
    try:
        size = args.size_mib * MIB
        source = work / "payload.bin"
        print(f"writing a {args.size_mib} MiB file of random bytes …", flush=True)
        expected = base.make_file(source, size)
        moto, endpoint = start_moto()
        bucket = f"bench-{uuid.uuid4().hex[:12]}"
        s3_client(endpoint).create_bucket(Bucket=bucket)

        results = {}
        for label, locations, extra in (
            ("local", f"primary=file://{work}/local/var/storage/primary", {}),
            (
                "s3",
                f"primary=s3://{bucket}/objects",
                {
                    "S3_ENDPOINT_URL": endpoint,
                    "AWS_ACCESS_KEY_ID": MOTO_KEY,
                    "AWS_SECRET_ACCESS_KEY": MOTO_KEY,
                    "S3_ADDRESSING_STYLE": "path",
                },
            ),
        ):
            var = work / label / "var"
            (var / "staticfiles").mkdir(parents=True, exist_ok=True)
            # DATABASE_URL from the environment is shared by both runs; unset, each has its own SQLite.
            run_env = {**env, **extra, "VAR_DIR": str(var), "STORAGE_LOCATIONS": locations}
            results[label] = run_primary(label, run_env, args, work, source, expected, size)

        mb = size / 1e6
        print()
        print(
            f"S3 upload benchmark: {args.size_mib} MiB through gunicorn ({args.workers} sync workers) on "
            f"loopback, chunks of {args.chunk_mib} MiB; S3 is moto's standalone server"
        )
        ok = True
        for label, name in (("local", "local primary"), ("s3", "S3 primary")):
            r = results[label]
            ratio = r["chunk"] / r["stream"]
            ok = ok and ratio <= 1.3
            print(
                f"  {name:<14} baseline streaming PUT {r['stream']:6.2f} s ({mb / r['stream']:6.1f} MB/s)  "
                f"chunked {r['chunk']:6.2f} s ({mb / r['chunk']:6.1f} MB/s, finish {r['finish']:.2f} s)  "
                f"ratio {ratio:.2f}"
            )
        s3_ratio = results["s3"]["stream"] / results["local"]["stream"]
        print(
            f"  S3 primary against local primary (streaming PUT): baseline {results['local']['stream']:.2f} s, "
            f"figure {results['s3']['stream']:.2f} s, ratio {s3_ratio:.2f}"
        )
        print("  checksums verified (SHA-256 of every stored file matches the source)")
        print(f"  target (chunked within 1.3 x streaming on both primaries): {'met' if ok else 'NOT met'}")
        if not ok:
            sys.exit(1)
    finally:
        stop(moto)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
