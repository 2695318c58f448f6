"""``repo-upload`` against a live server: a folder of 200 files, the process killed part-way, the
same command run again sends only what is missing, and the stored checksums equal the local ones."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db.models import Sum

from accounts.services import create_token
from records.models import Record, RecordState
from storage.models import FileVersion, Upload, UploadState
from tests.records.conftest import make_metadata

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 256 * 1024


def make_folder(root: Path) -> dict[str, bytes]:
    """200 files: two of 20 MiB and two of 3 MiB (sent first: their names sort first) and 196 small ones
    in subfolders."""
    rng = random.Random(15)  # noqa: S311  (reproducible test bytes, not secrets)
    sizes = [20 * 1024 * 1024, 20 * 1024 * 1024 + 1000, 3 * 1024 * 1024 + 2000, 3 * 1024 * 1024 + 3000]
    contents = {f"00-big/part-{n}.bin": rng.randbytes(size) for n, size in enumerate(sizes)}
    for n in range(196):
        contents[f"set-{n % 7}/item-{n:03d}.csv"] = rng.randbytes(rng.randint(1, 6000))
    for key, data in contents.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return contents


def stored_bytes(record: Record) -> tuple[int, int, set[str]]:
    """What the server holds of the record: bytes of finished files, bytes of active uploads, keys done."""
    versions = FileVersion.objects.filter(file__bucket=record.bucket_id)
    done = sum(v.instance.size for v in versions.select_related("instance"))
    partial = (
        Upload.objects.filter(bucket=record.bucket_id, state=UploadState.ACTIVE).aggregate(n=Sum("offset"))[
            "n"
        ]
        or 0
    )
    return done, partial, set(versions.values_list("file__key", flat=True))


def wait_for(predicate, timeout: float = 120.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)  # polling interval, not synchronisation: the condition is what we wait on
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.django_db(transaction=True)
def test_killed_upload_resumes_sending_only_what_is_missing(live_server, depositor, tmp_path, settings):
    settings.RATELIMIT_ENABLE = False
    folder = tmp_path / "dataset"
    contents = make_folder(folder)
    total = sum(len(data) for data in contents.values())
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps(make_metadata()))
    _token, secret = create_token(depositor, "cli", ["deposit:write", "deposit:actions"])
    env = {
        **os.environ,
        "REPO_URL": live_server.url,
        "REPO_TOKEN": secret,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable,
        "-m",
        "repo_client.upload",
        str(folder),
        "--metadata",
        str(metadata),
        "--jobs",
        "3",
        "--chunk-mib",
        str(CHUNK / 1024 / 1024),
        "--no-progress",
    ]
    first = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: Record.objects.filter(owner=depositor).exists(), what="the new draft")
        record = Record.objects.get(owner=depositor)
        # part-way: some files finished (the big ones first), others not started or half sent
        wait_for(lambda: len(stored_bytes(record)[2]) >= 60, what="60 files on the server")
        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.communicate(timeout=60)
    assert first.returncode == -signal.SIGKILL

    done, partial, keys = stored_bytes(record)
    assert done + partial < total, "the first run was killed part-way"
    missing = total - done - partial
    unfinished = len(set(contents) - keys)
    assert 0 < unfinished < len(contents)

    second = subprocess.run(
        [*command, "--publish"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert second.returncode == 0, second.stderr
    sent = int(re.search(r"sent (\d+) bytes", second.stdout).group(1))
    print(f"rerun sent {sent} bytes; {missing} were missing in {unfinished} unfinished files")
    assert sent <= missing + CHUNK * unfinished, (sent, missing, unfinished)
    assert sent >= missing - CHUNK * unfinished  # it did send what was missing

    record.refresh_from_db()
    assert record.state == RecordState.PUBLISHED
    assert Record.objects.filter(owner=depositor).count() == 1  # the rerun continued the same draft
    versions = {
        v.file.key: v.instance
        for v in FileVersion.objects.filter(file__bucket=record.bucket_id).select_related("file", "instance")
    }
    assert set(versions) == set(contents)
    for key, data in contents.items():
        assert versions[key].sha256.removeprefix("sha256:") == hashlib.sha256(data).hexdigest(), key
        assert versions[key].size == len(data)
    big = versions["00-big/part-3.bin"]
    with big.location.backend().open_read(big.path, 0, big.size) as source:
        assert source.read() == contents["00-big/part-3.bin"]
    assert not Upload.objects.filter(bucket=record.bucket_id).exists()


def test_the_client_imports_no_django():
    code = "import sys, repo_client.upload; assert not any(m.split('.')[0] == 'django' for m in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": ""},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_api_errors_are_one_readable_line(live_server, depositor, tmp_path):
    (tmp_path / "a.txt").write_bytes(b"x")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "repo_client.upload",
            str(tmp_path),
            "--url",
            live_server.url,
            "--token",
            "wrong",
            "--no-progress",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: 401 ") and "token" in lines[0], result.stderr


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_stops_soon_and_a_rerun_finishes(live_server, depositor, tmp_path, settings):
    settings.RATELIMIT_ENABLE = False
    rng = random.Random(3)  # noqa: S311  (reproducible test bytes, not secrets)
    folder = tmp_path / "two"
    folder.mkdir()
    contents = {f"f{n}.bin": rng.randbytes(3 * 1024 * 1024) for n in range(2)}
    for key, data in contents.items():
        (folder / key).write_bytes(data)
    _token, secret = create_token(depositor, "cli", ["deposit:write"])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    command = [
        sys.executable, "-m", "repo_client.upload", str(folder), "--url", live_server.url, "--token", secret,
        "--jobs", "2", "--chunk-mib", "0.0625", "--no-progress",
    ]  # fmt: skip
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: Record.objects.filter(owner=depositor).exists(), what="the new draft")
        record = Record.objects.get(owner=depositor)
        wait_for(lambda: sum(stored_bytes(record)[:2]) >= 1024 * 1024, what="1 MiB on the server")
        first.send_signal(signal.SIGINT)
        _out, err = first.communicate(timeout=120)
    finally:
        first.kill()
    assert first.returncode == 130 and "run the same command again" in err, err
    assert sum(stored_bytes(record)[:2]) < sum(len(d) for d in contents.values())

    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    versions = {
        v.file.key: v.instance.sha256
        for v in FileVersion.objects.filter(file__bucket=record.bucket_id).select_related("file", "instance")
    }
    assert versions == {key: "sha256:" + hashlib.sha256(data).hexdigest() for key, data in contents.items()}
