"""The production serving stack on loopback, for the slow-client test and the benchmarks: gunicorn with
``deploy/gunicorn.conf.py`` behind Debian's nginx with ``deploy/nginx.conf`` (the files compose uses)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from repository.loopback import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
NGINX_TEMPLATE = DEPLOY / "nginx.conf"
PLACEHOLDERS = ("NGINX_LISTEN", "APP_UPSTREAM", "STORAGE_ROOT", "NGINX_TEMP_DIR", "UPLOAD_MAX_BODY")


def render_nginx_conf(values: dict[str, str]) -> str:
    """deploy/nginx.conf with every ``${NAME}`` placeholder filled in (as envsubst does in compose)."""
    missing = sorted(set(PLACEHOLDERS) - set(values))
    if missing:
        raise ValueError(f"deploy/nginx.conf needs values for {', '.join(missing)}")
    text = NGINX_TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    unknown = sorted(set(re.findall(r"\$\{([A-Z_]+)\}", text)))
    if unknown:
        raise ValueError(
            f"deploy/nginx.conf has placeholders this renderer does not know: {', '.join(unknown)}"
        )
    return text


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if found is None:
        raise RuntimeError(
            "nginx is not installed: apt-get install nginx-light (make test does, scripts/test-deps.sh)"
        )
    return found


@dataclass
class Stack:
    app_port: int
    proxy_port: int
    gunicorn: subprocess.Popen
    nginx: subprocess.Popen


def _stop(proc: subprocess.Popen, sig: int) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextlib.contextmanager
def serving_stack(
    env: dict[str, str], work: Path, *, storage_root: Path, upload_max_body: int, quiet: bool = True
) -> Iterator[Stack]:
    """gunicorn (``env`` plus the bind address) and nginx in front of it, each on a free loopback port,
    both stopped on exit. ``work`` holds the rendered nginx.conf, its pid file and temp files."""
    work.mkdir(parents=True, exist_ok=True)
    app_port, proxy_port = free_port(), free_port()
    temp = work / "nginx"
    temp.mkdir(exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(
        render_nginx_conf(
            {
                "NGINX_LISTEN": f"127.0.0.1:{proxy_port}",
                "APP_UPSTREAM": f"127.0.0.1:{app_port}",
                "STORAGE_ROOT": str(storage_root),
                "NGINX_TEMP_DIR": str(temp),
                "UPLOAD_MAX_BODY": str(upload_max_body),
            }
        )
    )
    output = subprocess.DEVNULL if quiet else None
    gunicorn = subprocess.Popen(  # noqa: S603 - the project's own server, fixed arguments
        [str(Path(sys.executable).with_name("gunicorn")), "-c", str(GUNICORN_CONF)],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{app_port}", "GUNICORN_ACCESS_LOG": ""},
        stdout=output,
    )
    nginx = None
    try:
        # As root, nginx's workers would run as "nobody", who cannot read the private test folders.
        directives = "daemon off; master_process on;" + (" user root;" if os.geteuid() == 0 else "")
        nginx = subprocess.Popen(  # noqa: S603 - Debian's nginx, fixed arguments
            [nginx_binary(), "-e", "stderr", "-p", str(work), "-c", str(conf), "-g", directives],
            cwd=work,
            stdout=output,
        )
        for name, port, proc in (("gunicorn", app_port, gunicorn), ("nginx", proxy_port, nginx)):
            wait_for_port(port, timeout=60)
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}")
        yield Stack(app_port, proxy_port, gunicorn, nginx)
    finally:
        if nginx is not None:
            _stop(nginx, signal.SIGTERM)
        _stop(gunicorn, signal.SIGTERM)


class SlowClients:
    """The load of a slow-client attack on 127.0.0.1:``port``: ``half_open`` connections that send part
    of a request and stall, and slow readers of ``zip_path`` that take a few bytes per ``pace`` seconds
    through a tiny receive window. Use as a context manager; everything is closed on exit."""

    def __init__(
        self, port: int, zip_path: str, *, half_open: int = 20, readers: int = 5, pace: float = 0.25
    ):
        self.port = port
        self.zip_path = zip_path
        self.half_open = half_open
        self.readers = readers
        self.pace = pace
        self.sockets: list[socket.socket] = []
        self.started = threading.Semaphore(0)
        self.received = [0] * readers
        self.statuses: list[str] = [""] * readers
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> SlowClients:
        for index in range(self.half_open):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            self.sockets.append(sock)
            if index % 2:
                # headers sent, a body of 1 MB announced, 10 bytes of it sent
                sock.sendall(
                    b"POST /api/v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    b'Content-Length: 1000000\r\n\r\n{"title":'
                )
            else:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # headers never end
        for index in range(self.readers):
            thread = threading.Thread(target=self._read_slowly, args=(index,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def wait_until_reading(self, timeout: float = 20) -> None:
        """Return once every slow reader has its response's status line."""
        deadline = time.monotonic() + timeout
        for _ in range(self.readers):
            if not self.started.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise TimeoutError("the slow readers did not get their responses started")

    def _read_slowly(self, index: int) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(30)
        self.sockets.append(sock)
        try:
            sock.connect(("127.0.0.1", self.port))
            sock.sendall(f"GET {self.zip_path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            first = sock.recv(64)
            self.statuses[index] = first.split(b"\r\n", 1)[0].decode("latin-1")
            self.received[index] = len(first)
            self.started.release()
            while not self._stop.wait(self.pace):
                data = sock.recv(16)
                if not data:
                    break
                self.received[index] += len(data)
        except OSError:
            self.started.release()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a reader blocked in recv
            with contextlib.suppress(OSError):
                sock.close()
        for thread in self._threads:
            thread.join(timeout=10)


def bench_workspace(prefix: str, root: Path) -> tuple[Path, dict[str, str]]:
    """A fresh folder under ``BENCH_DIR`` (default ``var/bench``) and the environment of a
    production-like process using it (DEBUG off, embedded defaults, tasks run in place)."""
    base = Path(os.environ.get("BENCH_DIR", root / "var" / "bench"))
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    var = work / "var"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "repository.settings",
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "VAR_DIR": str(var),
        "STORAGE_LOCATIONS": f"primary=file://{var}/storage/primary",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        # the re-read after each upload is a worker's background task: with eager tasks it would be
        # timed as part of the upload request
        "FIXITY_CHECK_AFTER_UPLOAD": "false",
        "LOG_LEVEL": "WARNING",
    }
    return work, env


def bench_django(prefix: str) -> None:
    """Set Django up in this process for an in-process benchmark: a fresh SQLite database in a temporary
    folder (unless ``DATABASE_URL`` says otherwise), tasks run in place, no rate limits; migrated."""
    folder = tempfile.mkdtemp(prefix=prefix)
    os.environ.setdefault("VAR_DIR", folder)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder}/bench.sqlite3")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    os.environ.setdefault("RATELIMIT_ENABLE", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repository.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
