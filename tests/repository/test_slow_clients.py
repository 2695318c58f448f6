"""The production serving stack from the repository (Debian's nginx with deploy/nginx.conf in front of
gunicorn with deploy/gunicorn.conf.py, on loopback) holds against slow clients: 20 half-open connections
and 5 slow readers of a "download all" ZIP, and /healthz still answers within a 10 s client timeout."""

from __future__ import annotations

import http.client
import json
import os
import time

import pytest
from django.conf import settings as django_settings

from records.services import create_draft, publish
from repository.stack import SlowClients, serving_stack
from storage import services
from tests.records.conftest import make_metadata

pytestmark = pytest.mark.servers

MIB = 1024 * 1024


@pytest.fixture
def stack(transactional_db, settings, tmp_path):
    db = settings.DATABASES["default"]
    storage_root = {name: url for name, url in settings.STORAGE_LOCATIONS}["primary"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "repository.settings",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "STORAGE_LOCATIONS": " ".join(f"{n}={u}" for n, u in settings.STORAGE_LOCATIONS),
        "VAR_DIR": os.environ["VAR_DIR"],
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "X_ACCEL_REDIRECT_PREFIX": "/protected/",
        # Fewer threads than attackers: without nginx in front, five slow readers alone would hold them all.
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "4",
    }
    root = storage_root.removeprefix("file://").rstrip("/").rsplit("/", 1)[0]
    with serving_stack(
        env, tmp_path / "stack", storage_root=root, upload_max_body=settings.RECORD_QUOTA_BYTES
    ) as s:
        yield s


@pytest.fixture
def record_with_files(depositor):
    draft = create_draft(depositor, make_metadata())
    contents = {f"part-{index}.bin": os.urandom(MIB) for index in range(4)}
    contents["notes/read me.txt"] = b"served by nginx\n" * 100
    assert draft.bucket is not None
    for key, data in contents.items():
        services.store_bytes(draft.bucket, key, data, depositor)
    return publish(draft, depositor, declaration_accepted=True), contents


def get(port: int, path: str, timeout: float = 10) -> tuple[int, dict[str, str], bytes, float]:
    start = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), body, time.monotonic() - start
    finally:
        connection.close()


def test_healthz_answers_while_slow_clients_hold_connections(stack, record_with_files):
    record, _contents = record_with_files
    deadline = time.monotonic() + 45
    zip_path = f"/records/{record.pk}/files.zip"
    status, _headers, body, _seconds = get(stack.proxy_port, zip_path)
    assert status == 200 and len(body) > 4 * MIB  # the archive is far larger than the readers' windows

    with SlowClients(stack.proxy_port, zip_path, half_open=20, readers=5) as load:
        load.wait_until_reading(timeout=20)
        assert load.statuses == ["HTTP/1.1 200 OK"] * 5
        latencies = []
        for _ in range(5):
            status, _headers, body, seconds = get(stack.proxy_port, "/healthz", timeout=10)
            assert status == 200, body
            assert json.loads(body)["status"] == "ok"
            latencies.append(seconds)
        # the attackers are still there: every slow reader is far from the end of its archive
        assert all(0 < received < MIB for received in load.received), load.received
        assert stack.gunicorn.poll() is None and stack.nginx.poll() is None
    assert max(latencies) < 10, latencies
    assert time.monotonic() < deadline


def test_downloads_are_sent_by_nginx_through_x_accel_redirect(stack, record_with_files):
    record, contents = record_with_files
    path = f"/records/{record.pk}/files/notes/read%20me.txt"
    direct_status, direct_headers, direct_body, _ = get(stack.app_port, path)
    assert direct_status == 200
    primary = django_settings.STORAGE_LOCATIONS[0][0]
    assert direct_headers["X-Accel-Redirect"].startswith(f"/protected/{primary}/")
    assert direct_body == b""
    status, headers, body, _ = get(stack.proxy_port, path)
    assert status == 200
    assert body == contents["notes/read me.txt"]
    assert "X-Accel-Redirect" not in headers
    assert headers["Content-Disposition"] == 'inline; filename="read me.txt"'
    # the internal location is not reachable from outside
    assert get(stack.proxy_port, direct_headers["X-Accel-Redirect"])[0] == 404
