"""Uploads through gunicorn (as deployed): the direct socket reader, keep-alive, dropped connections."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accounts.services import create_token
from storage.models import FileInstance, FileVersion, Upload
from tests.conftest import ROOT, free_port, wait_for_port
from tests.storage.conftest import sha256_hex, stored_files

MIB = 1024 * 1024


@pytest.fixture(params=["sync", "gthread"])
def server(request, transactional_db, settings):
    db = settings.DATABASES["default"]
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "repository.settings",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "STORAGE_LOCATIONS": " ".join(f"{n}={u}" for n, u in settings.STORAGE_LOCATIONS),
        "VAR_DIR": os.environ["VAR_DIR"],
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    args = ["--worker-class", request.param, "--workers", "1"]
    if request.param == "gthread":
        args += ["--threads", "2", "--keep-alive", "10"]
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "repository.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *args,
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for_port(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture
def token_draft(depositor, metadata):
    from records.services import create_draft

    _token, secret = create_token(depositor, "gunicorn test", ["deposit:write"])
    return create_draft(depositor, metadata), secret


def raw_request(
    sock,
    method: str,
    path: str,
    token: str,
    body: bytes = b"",
    headers: dict | None = None,
    declared: int | None = None,
) -> None:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {token}",
        f"Content-Length: {len(body) if declared is None else declared}",
    ]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    # Headers and body in one send: gunicorn reads part of the body together with the headers.
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def read_response(sock, method: str = "GET") -> http.client.HTTPResponse:
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    response.body = response.read()
    return response


def test_put_through_gunicorn_stores_exact_bytes(server, token_draft):
    record, token = token_draft
    for size in (0, 5, 70_000, 5 * MIB + 3):
        data = os.urandom(size)
        with socket.create_connection(("127.0.0.1", server)) as sock:
            raw_request(sock, "PUT", f"/api/v1/records/{record.pk}/files/f{size}.bin", token, data)
            response = read_response(sock)
        assert response.status == 201, response.body
        version = FileVersion.objects.select_related("instance").get(file__key=f"f{size}.bin")
        assert version.instance.sha256 == "sha256:" + sha256_hex(data)
        path = version.instance.location.backend().local_path(version.instance.path)
        assert path.read_bytes() == data


def test_chunks_and_head_on_one_kept_alive_connection(server, token_draft, client_for, depositor):
    record, token = token_draft
    data = os.urandom(3 * MIB + 11)
    upload_id = (
        client_for(depositor)
        .post(
            f"/api/v1/records/{record.pk}/uploads",
            {"key": "kept.bin", "size": len(data)},
            content_type="application/json",
        )
        .json()["id"]
    )
    url = f"/api/v1/uploads/{upload_id}"
    with socket.create_connection(("127.0.0.1", server)) as sock:
        offset = 0
        for end in (MIB, 2 * MIB + 5, len(data)):
            raw_request(sock, "PATCH", url, token, data[offset:end], {"Upload-Offset": offset})
            response = read_response(sock)
            assert response.status == 204, response.body
            assert int(response.getheader("Upload-Offset")) == end
            offset = end
            if response.getheader("Connection", "").lower() == "close":
                sock.close()
                sock = socket.create_connection(("127.0.0.1", server))
        raw_request(sock, "HEAD", url, token)
        response = read_response(sock, "HEAD")
        assert response.status == 200 and response.getheader("Upload-Offset") == str(len(data))
        sock.close()
    response = client_for(depositor).post(f"{url}/finish")
    assert response.status_code == 201
    assert response.json()["sha256"] == "sha256:" + sha256_hex(data)


def test_a_dropped_streaming_request_leaves_nothing_visible(server, token_draft, primary_root):
    record, token = token_draft
    before = stored_files(primary_root)
    sock = socket.create_connection(("127.0.0.1", server))
    raw_request(
        sock,
        "PUT",
        f"/api/v1/records/{record.pk}/files/dropped.bin",
        token,
        os.urandom(2 * MIB),
        declared=10 * MIB,
    )
    time.sleep(0.5)
    sock.close()  # the connection drops with 8 MiB missing
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (Upload.objects.exists() or stored_files(primary_root) != before):
        time.sleep(0.1)
    assert not Upload.objects.exists()
    assert not FileVersion.objects.exists() and not FileInstance.objects.exists()
    assert stored_files(primary_root) == before


def test_a_dropped_chunk_is_resumed_from_the_servers_offset(server, token_draft, client_for, depositor):
    record, token = token_draft
    data = os.urandom(4 * MIB)
    client = client_for(depositor)
    upload_id = client.post(
        f"/api/v1/records/{record.pk}/uploads",
        {"key": "resume.bin", "size": len(data)},
        content_type="application/json",
    ).json()["id"]
    url = f"/api/v1/uploads/{upload_id}"
    sock = socket.create_connection(("127.0.0.1", server))
    raw_request(sock, "PATCH", url, token, data[: 3 * MIB], {"Upload-Offset": 0}, declared=len(data))
    time.sleep(0.5)
    sock.close()
    deadline = time.monotonic() + 15
    offset = 0
    while time.monotonic() < deadline:
        head = client.head(url)
        offset = int(head["Upload-Offset"])
        if offset and Upload.objects.filter(pk=upload_id, offset=offset).exists() and offset == 3 * MIB:
            break
        time.sleep(0.1)
    assert offset == 3 * MIB  # every byte that arrived was kept
    response = client.patch(
        url,
        data[offset:],
        content_type="application/offset+octet-stream",
        headers={"Upload-Offset": str(offset)},
    )
    assert response.status_code == 204
    response = client.post(f"{url}/finish")
    assert response.status_code == 201
    assert response.json()["sha256"] == "sha256:" + sha256_hex(data)
