"""Upload benchmark: a 1 GiB file through gunicorn on loopback, as one streaming request and through
the browser's chunked protocol, against a baseline of ``cp``, ``md5sum`` and ``sha256sum`` run one
after another on the same file. Prints the times, their ratios and the server's peak RSS growth
(VmHWM after the upload minus VmRSS before it, from /proc/<pid>/status of every worker).

Usage: .venv/bin/python bench/upload.py [--size-mib 1024] [--chunk-mib 8] [--workers 2]
       [--worker-class sync|gthread] [--threads 4] [--through-nginx]
With --through-nginx the uploads go through the production stack: Debian's nginx with deploy/nginx.conf
(upload bodies unbuffered) in front of gunicorn with deploy/gunicorn.conf.py (gthread; --workers and
--threads apply, --worker-class does not).
Environment: DATABASE_URL (default: SQLite in a temporary folder), BENCH_DIR (default: var/bench).
Targets: streaming ratio <= 1.0 and RSS growth < 100 MiB.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from repository.loopback import free_port, wait_for_port
from repository.stack import bench_workspace, serving_stack

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


def make_file(path: Path, size: int) -> str:
    """A file of random bytes; returns its SHA-256."""
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        left = size
        while left:
            block = os.urandom(min(8 * MIB, left))
            out.write(block)
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


def baseline(path: Path) -> dict[str, float]:
    """cp, md5sum and sha256sum one after another on the same (page-cached) file."""
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
    times = {}
    copy = path.with_suffix(".copy")
    for name, command in (
        ("cp", ["cp", str(path), str(copy)]),
        ("md5sum", ["md5sum", str(path)]),
        ("sha256sum", ["sha256sum", str(path)]),
    ):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        times[name] = time.perf_counter() - start
    copy.unlink()
    return times


class Client:
    """A minimal HTTP/1.1 client that sends file bodies with sendfile (no client-side copying)."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        file=None,
        offset: int = 0,
        count: int = 0,
        headers: dict | None = None,
    ) -> tuple[int, dict, bytes]:
        length = count if file is not None else len(body)
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            f"Authorization: Bearer {self.token}",
            "Connection: close",
            f"Content-Length: {length}",
        ]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        sock = socket.create_connection(("127.0.0.1", self.port))
        try:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            if file is not None and count:
                sock.sendfile(file, offset, count)
            elif body:
                sock.sendall(body)
            response = http.client.HTTPResponse(sock)
            response.begin()
            data = response.read()
            return response.status, dict(response.getheaders()), data
        finally:
            sock.close()

    def json(self, method: str, path: str, payload: dict) -> tuple[int, dict]:
        status, _headers, data = self.request(
            method, path, body=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
        )
        return status, json.loads(data or b"{}")


def upload_streaming(client: Client, record_id: int, key: str, path: Path) -> dict:
    size = path.stat().st_size
    with open(path, "rb") as source:
        status, _headers, data = client.request(
            "PUT",
            f"/api/v1/records/{record_id}/files/{key}",
            file=source,
            count=size,
            headers={"Content-Type": "application/octet-stream"},
        )
    if status != 201:
        raise SystemExit(f"streaming upload failed: {status} {data[:500]!r}")
    return json.loads(data)


def upload_chunked(client: Client, record_id: int, key: str, path: Path, chunk: int) -> dict:
    size = path.stat().st_size
    status, created = client.json("POST", f"/api/v1/records/{record_id}/uploads", {"key": key, "size": size})
    if status != 201:
        raise SystemExit(f"creating the upload failed: {status} {created}")
    url = created["url"]
    offset = 0
    with open(path, "rb") as source:
        while offset < size:
            count = min(chunk, size - offset)
            status, headers, data = client.request(
                "PATCH",
                url,
                file=source,
                offset=offset,
                count=count,
                headers={"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
            )
            if status != 204:
                raise SystemExit(f"chunk at {offset} failed: {status} {data[:500]!r}")
            offset = int(headers["Upload-Offset"])
    start = time.perf_counter()
    status, finished = client.json("POST", f"{url}/finish", {})
    if status != 201:
        raise SystemExit(f"finishing failed: {status} {finished}")
    finished["finish_seconds"] = time.perf_counter() - start
    return finished


def proc_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


class RssWatch:
    """Peak RSS growth of the gunicorn workers during a block: VmHWM after minus VmRSS before."""

    def __init__(self, master: int):
        self.master = master

    def __enter__(self):
        self.pids = worker_pids(self.master)
        self.before = {pid: proc_kib(pid, "VmRSS") for pid in self.pids}
        self.hwm_before = {pid: proc_kib(pid, "VmHWM") for pid in self.pids}
        self.peak = dict(self.before)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def _poll(self):
        while not self._stop.wait(0.05):
            for pid in self.pids:
                with contextlib.suppress(FileNotFoundError):
                    self.peak[pid] = max(self.peak[pid], proc_kib(pid, "VmRSS"))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        growth = []
        for pid in self.pids:
            hwm = proc_kib(pid, "VmHWM")
            # VmHWM is the peak since the worker started: it counts only if it rose during this block;
            # otherwise the RSS polled every 50 ms is the peak.
            peak = max(hwm, self.peak[pid]) if hwm > self.hwm_before[pid] else self.peak[pid]
            growth.append(peak - self.before[pid])
        self.growth_kib = max(growth)
        return False


def prepare_database(env: dict) -> tuple[int, str]:
    """Migrate, and create a depositor, a deposit:write token and a draft (in a child process)."""
    script = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "from accounts.models import User\n"
        "from accounts.services import create_token\n"
        "from records.services import create_draft\n"
        "user, _ = User.objects.get_or_create(username='bench', defaults={'email': 'bench@example.org'})\n"
        "token, secret = create_token(user, 'bench', ['deposit:write'])\n"
        "record = create_draft(user, {'title': 'Upload benchmark'})\n"
        "print(record.pk, secret)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit("preparing the database failed:\n" + result.stderr)
    record_id, secret = result.stdout.split()[-2:]
    return int(record_id), secret


def measure(
    args,
    work: Path,
    source: Path,
    expected: str,
    size: int,
    times: dict,
    base_total: float,
    record_id: int,
    token: str,
    port: int,
    master: int,
) -> None:
    """Warm up, upload streaming and chunked, check the bytes, print the figures (exit 1 off target)."""
    client = Client(port, token)
    warm = work / "warm.bin"
    warm.write_bytes(os.urandom(3 * MIB))
    for index in range(4 * args.workers):  # every worker imports everything before we measure
        upload_streaming(client, record_id, f"warm-{index}.bin", warm)
        upload_chunked(client, record_id, f"warm-c-{index}.bin", warm, MIB)

    subprocess.run(["cat", str(source)], stdout=subprocess.DEVNULL, check=True)
    with RssWatch(master) as stream_rss:
        start = time.perf_counter()
        streamed = upload_streaming(client, record_id, "bench/streamed.bin", source)
        stream_time = time.perf_counter() - start
    subprocess.run(["cat", str(source)], stdout=subprocess.DEVNULL, check=True)
    with RssWatch(master) as chunk_rss:
        start = time.perf_counter()
        chunked = upload_chunked(client, record_id, "bench/chunked.bin", source, args.chunk_mib * MIB)
        chunk_time = time.perf_counter() - start
    for label, result in (("streaming", streamed), ("chunked", chunked)):
        if result["sha256"] != "sha256:" + expected or result["size"] != size:
            raise SystemExit(f"{label} upload stored the wrong bytes: {result}")

    mb = size / 1e6
    print()
    worker_class = "gthread" if args.through_nginx else args.worker_class
    threads = f" x {args.threads} threads" if worker_class == "gthread" else ""
    proxy = "nginx (deploy/nginx.conf) and " if args.through_nginx else ""
    print(
        f"Upload benchmark: {args.size_mib} MiB through {proxy}gunicorn ({args.workers} {worker_class} "
        f"worker(s){threads}) on loopback"
    )
    print(
        f"  baseline   cp {times['cp']:.2f} s + md5sum {times['md5sum']:.2f} s + sha256sum "
        f"{times['sha256sum']:.2f} s = {base_total:.2f} s"
    )
    for label, seconds, rss in (
        ("streaming", stream_time, stream_rss),
        (f"chunked ({args.chunk_mib} MiB chunks)", chunk_time, chunk_rss),
    ):
        print(
            f"  {label:<26} {seconds:6.2f} s  {mb / seconds:7.1f} MB/s  ratio {seconds / base_total:.2f}  "
            f"server peak RSS growth {rss.growth_kib / 1024:.1f} MiB"
        )
    print(
        f"  chunked: the finish request took {chunked['finish_seconds']:.2f} s (checksums were computed "
        "while the chunks arrived; gaps left by other workers are re-read then)"
    )
    print("  checksums verified (SHA-256 of the stored files matches the source)")
    ok = (
        stream_time / base_total <= 1.0
        and stream_rss.growth_kib < 100 * 1024
        and chunk_rss.growth_kib < 100 * 1024
    )
    print(f"  targets (streaming ratio <= 1.0, RSS growth < 100 MiB): {'met' if ok else 'NOT met'}")
    if not ok:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--chunk-mib", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread)")
    parser.add_argument("--through-nginx", action="store_true", help="nginx (deploy/nginx.conf) in front")
    args, _unknown = parser.parse_known_args()  # `make bench -- …` passes every script the same options

    work, env = bench_workspace("upload-", ROOT)
    var = work / "var"
    gunicorn = None
    try:
        size = args.size_mib * MIB
        source = work / "payload.bin"
        print(f"writing a {args.size_mib} MiB file of random bytes …", flush=True)
        expected = make_file(source, size)
        (var / "staticfiles").mkdir(parents=True, exist_ok=True)  # whitenoise warns without it
        record_id, token = prepare_database(env)

        times = baseline(source)
        base_total = sum(times.values())

        with contextlib.ExitStack() as servers:
            if args.through_nginx:
                stack = servers.enter_context(
                    serving_stack(
                        {
                            **env,
                            "GUNICORN_WORKERS": str(args.workers),
                            "GUNICORN_THREADS": str(args.threads),
                            "GUNICORN_LOG_LEVEL": "warning",
                        },
                        work / "stack",
                        storage_root=var / "storage",
                        upload_max_body=50 * 10**9,
                    )
                )
                port, master = stack.proxy_port, stack.gunicorn.pid
            else:
                port = free_port()
                gunicorn = subprocess.Popen(
                    [
                        str(Path(sys.executable).with_name("gunicorn")),
                        "repository.wsgi:application",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        str(args.workers),
                        "--worker-class",
                        args.worker_class,
                        "--threads",
                        str(args.threads),
                        "--timeout",
                        "3600",
                        "--log-level",
                        "warning",
                    ],
                    cwd=ROOT,
                    env=env,
                )
                wait_for_port(port)
                master = gunicorn.pid
            measure(args, work, source, expected, size, times, base_total, record_id, token, port, master)
    finally:
        if gunicorn is not None:
            gunicorn.send_signal(signal.SIGTERM)
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
