"""Fixtures shared by every app's tests: the cast of users, services, a browser and a Celery worker."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from repository.loopback import free_port, wait_for_port

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM calls beside live_server + Playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct-horse-battery-staple"


def pytest_configure(config):
    _require_services()


def _require_services() -> None:
    """Stop with one line naming a missing service: never a silent fallback or a skipped test."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit("tests run on PostgreSQL: set TEST_DATABASE_URL=postgres://...", returncode=2)
    checks = [
        (
            "PostgreSQL",
            db["HOST"],
            int(db["PORT"]),
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
        ),
    ]
    from urllib.parse import urlsplit

    redis = urlsplit(settings.REDIS_URL)
    checks.append(
        (
            "Redis",
            redis.hostname,
            redis.port or 6379,
            'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
        )
    )
    for name, host, port, how in checks:
        try:
            socket.create_connection((host, port), timeout=2).close()
        except OSError:
            pytest.exit(f"{name} is not reachable at {host}:{port}; start it with: {how}", returncode=2)


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request in Swedish leaves Swedish active in this thread (LocaleMiddleware): every test starts
    in the default language, whatever ran before it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Every test starts with empty rate-limit counters and login lockouts (the ``ratelimit`` cache,
    this test run's own key prefix only: other runs share the Redis database)."""
    _clear_rate_limits()
    yield


def _clear_rate_limits() -> None:
    from django.core.cache import caches

    cache = caches["ratelimit"]
    if hasattr(cache, "_cache") and hasattr(cache._cache, "get_client"):
        client = cache._cache.get_client(None, write=True)
        keys = list(client.scan_iter(match=cache.make_key("*"), count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


# --- The cast -------------------------------------------------------------------------------


def _make_user(username: str, **extra):
    """A member of the cast: their e-mail address is verified (they followed the sign-up link)."""
    from accounts.models import User

    user = User.objects.create_user(
        username=username, email=f"{username}@example.org", password=PASSWORD, email_verified=True, **extra
    )
    return user


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def depositor(db):
    return _make_user(
        "depositor", full_name="Erik Depositor", affiliations=[{"name": "Stockholm University"}]
    )


@pytest.fixture
def outsider(db):
    return _make_user("outsider", full_name="Olga Outsider")


@pytest.fixture
def staff(db):
    return _make_user("staff", full_name="Stina Staff", is_staff=True, is_superuser=True)


@pytest.fixture
def community(db, staff):
    from communities.services import create_community

    return create_community(
        staff,
        slug="stockholm-ai",
        title="Stockholm AI Scientific Repository",
        description="AI research from Stockholm.",
        curation_policy="At least one author must have an affiliation with a university or company based in Stockholm.",
    )


@pytest.fixture
def curator(db, community, staff):
    from communities.models import MemberRole
    from communities.services import set_member

    user = _make_user("curator", full_name="Karin Kurator", affiliations=[{"name": "KTH"}])
    set_member(staff, community, user, MemberRole.CURATOR)
    return user


@pytest.fixture
def client_for(client):
    """``client_for(user)`` → a Django test client logged in as that user."""
    from django.test import Client

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make


# --- Services ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's standalone S3 server on a free port; yields its URL and stops it after the session."""
    port = free_port()
    executable = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    proc = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A fresh bucket on the S3 endpoint; yields (endpoint, bucket name, boto3 client)."""
    import boto3
    import botocore.config

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=botocore.config.Config(s3={"addressing_style": "path"}),
    )
    name = f"test-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    yield s3_endpoint, name, client


@pytest.fixture
def celery_worker(request, transactional_db, settings, tmp_path):
    """A real ``celery worker`` process on Redis, bound to the test database.

    The worker delivers e-mail into ``worker.mail_dir`` (a file backend), so tests can tell
    mail the worker sent from mail the test process sent (``django.core.mail.outbox``).
    Tests using it see committed data only: they run with ``transactional_db``.
    ``@pytest.mark.worker(env={...}, pool="prefork", beat=True)`` adds environment variables (settings)
    for the worker, runs a prefork pool of one process (``worker.pool_pids()``; default: solo) and a
    ``celery beat`` process beside it (``worker.beat``), sending to the same queue.
    """
    marker = request.node.get_closest_marker("worker")
    options = marker.kwargs if marker else {}
    pool = options.get("pool", "solo")
    from repository.celery import app

    db = settings.DATABASES["default"]
    queue = f"test-worker-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path / "worker-mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "repository.settings",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_URL": f"file://{mail_dir}",
        "STORAGE_LOCATIONS": " ".join(f"{n}={u}" for n, u in settings.STORAGE_LOCATIONS),
        "VAR_DIR": os.environ["VAR_DIR"],
        **options.get("env", {}),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "repository",
            "worker",
            "-Q",
            queue,
            "--pool",
            pool,
            *(["--concurrency", "1"] if pool == "prefork" else []),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    settings.CELERY_TASK_ALWAYS_EAGER = False
    _wait_for_worker(proc)
    beat = _start_beat(env, tmp_path) if options.get("beat") else None

    class Worker:
        pass

    worker = Worker()
    worker.process = proc
    worker.beat = beat
    worker.mail_dir = mail_dir
    worker.queue = queue

    worker.pool_pids = lambda: _children(proc.pid)  # the prefork pool's processes

    def wait_until(predicate, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            if proc.poll() is not None:
                raise RuntimeError("the Celery worker died:\n" + (proc.stdout.read() or ""))
            time.sleep(0.2)
        return False

    worker.wait_until = wait_until
    try:
        yield worker
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = previous
        if beat is not None:
            _stop(beat)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _start_beat(env: dict, tmp_path: Path) -> subprocess.Popen:
    """``celery beat`` sending the schedule to the worker's queue (env), its state file in tmp_path."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "repository", "beat", "-l", "info"),
            *("--schedule", str(tmp_path / "celerybeat-schedule"), "--max-interval", "1"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _wait_for_worker(proc: subprocess.Popen, timeout: float = 180) -> None:
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                "the Celery worker exited at start:\n" + "".join(seen) + (proc.stdout.read() or "")
            )
        if sel.select(timeout=0.5):
            line = proc.stdout.readline()
            seen.append(line)
            if "ready." in line:
                # keep draining output in the background so the pipe never fills up
                import threading

                threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
                return
    proc.kill()
    raise RuntimeError("the Celery worker did not become ready:\n" + "".join(seen))


# --- Browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def login_page(page, live_server):
    """``login_page(user)`` → the Playwright page, logged in through the real login form."""

    def do_login(user):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("form.card button[type=submit]")
        page.wait_for_load_state()
        return page

    return do_login


# --- Data from data migrations ------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _shipped_registry(request):
    """Transactional tests flush the database, and with it rows that data migrations loaded (the
    Stockholm organisations registry). Put them back for every test that uses the database."""
    names = set(request.fixturenames)
    if not names & {
        "db",
        "transactional_db",
        "live_server",
        "django_db_setup",
    } and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("transactional_db" if names & {"transactional_db", "live_server"} else "db")
    from curation.models import Organisation
    from curation.registry import load_registry

    if not Organisation.objects.exists():
        load_registry()
