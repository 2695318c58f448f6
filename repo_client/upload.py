"""``repo-upload``: upload a folder into a draft through the resumable protocol of ``/api/v1/``.

Usage::

    REPO_URL=https://repo.example.org REPO_TOKEN=… repo-upload FOLDER [--record ID] [--metadata FILE]
        [--jobs 4] [--chunk-mib 8] [--publish] [--no-progress]

Without ``--record`` a new draft is created (from ``--metadata``, a JSON file of record metadata, or
just the folder's name as the title) and its id is remembered in a small state file
(``~/.cache/repo-upload/``), so the same command run again continues into the same draft.
Each file goes up in chunks (``PATCH /api/v1/uploads/<id>`` at ``Upload-Offset``); a run asks the
server which files it already holds (same size and SHA-256: skipped) and where each unfinished
upload stands (``HEAD``: its offset), and sends only what is missing. Finishing a file sends its
MD5 and SHA-256; the server compares them with what it received. Errors from the API are printed as
one line: ``error: <status> <message> (<field>: <messages>)``.

Only ``requests`` and the standard library (plus ``rich`` for the progress bars) are used.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from rich.progress import BarColumn, DownloadColumn, TextColumn, TransferSpeedColumn
from rich.progress import Progress as Bars

STATE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "repo-upload"
RETRYABLE = (requests.ConnectionError, requests.Timeout)
STOP = threading.Event()  # set on Ctrl-C: workers stop between chunks; a rerun continues


class Stopped(Exception):
    """The run was interrupted; what reached the server stays there."""


class ApiError(Exception):
    """An answer of the API that is not a success, as one readable line."""

    def __init__(self, response: requests.Response):
        self.status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        message = body.get("message") if isinstance(body, dict) else None
        details = []
        for error in (body.get("errors") or []) if isinstance(body, dict) else []:
            if not isinstance(error, dict):
                continue
            messages = error.get("messages") or [error.get("message", "")]
            field = error.get("field") or ""
            text = "; ".join(str(m) for m in messages if m)
            details.append(f"{field}: {text}" if field and field != "$" else text)
        line = f"{self.status} {message or response.reason or 'error'}"
        extra = [d for d in details if d and d != message]
        if extra:
            line += " (" + "; ".join(extra) + ")"
        super().__init__(line)
        self.body = body if isinstance(body, dict) else {}
        self.headers = response.headers


@dataclass
class LocalFile:
    key: str
    path: Path
    size: int
    md5: str = ""
    sha256: str = ""

    def hash(self) -> None:
        md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
        with self.path.open("rb") as source:
            while block := source.read(1 << 20):
                md5.update(block)
                sha256.update(block)
        self.md5, self.sha256 = md5.hexdigest(), sha256.hexdigest()


class Client:
    """A thin, retrying wrapper of one ``requests.Session`` per thread."""

    def __init__(self, base_url: str, token: str, retries: int = 5):
        self.base = base_url.rstrip("/")
        self.token = token
        self.retries = retries
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {self.token}"
            session.headers["User-Agent"] = "repo-upload/1"
            self._local.session = session
        return session

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base}{path}"

    def call(
        self, method: str, path: str, *, ok=(200, 201, 204), retry: bool = True, **kwargs
    ) -> requests.Response:
        """One API call; connection errors and 429/502/503/504 are retried with a growing pause."""
        kwargs.setdefault("timeout", 120)
        attempts = self.retries if retry else 1
        for attempt in range(attempts):
            try:
                response = self.session.request(method, self.url(path), **kwargs)
            except RETRYABLE:
                if attempt == attempts - 1:
                    raise
                time.sleep(min(2**attempt, 30))
                continue
            if response.status_code in ok:
                return response
            if response.status_code in (429, 502, 503, 504) and attempt < attempts - 1:
                wait = response.headers.get("Retry-After", "")
                time.sleep(float(wait) if wait.replace(".", "", 1).isdigit() else min(2**attempt, 30))
                continue
            raise ApiError(response)
        raise RuntimeError("unreachable")  # pragma: no cover


class Progress:
    """Bars per file and overall (``rich``), or nothing with ``enabled=False``."""

    def __init__(self, enabled: bool, total: int, files: int):
        self.enabled = enabled
        self.sent = 0
        self._lock = threading.Lock()
        self._bar: Any = None
        if enabled:
            self._bar = Bars(
                TextColumn("{task.description}", justify="left"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
            )
            self._overall = self._bar.add_task(f"all {files} files", total=total)

    def __enter__(self):
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()

    def start(self, name: str, total: int, done: int) -> Any:
        if self._bar is None:
            return None
        return self._bar.add_task(name[-40:], total=total, completed=done)

    def advance(self, task: Any, count: int, sent: bool = True) -> None:
        with self._lock:
            if sent:
                self.sent += count
        if self._bar is not None:
            if task is not None:
                self._bar.advance(task, count)
            self._bar.advance(self._overall, count)

    def finish(self, task: Any) -> None:
        if self._bar is not None and task is not None:
            self._bar.remove_task(task)


def scan(folder: Path) -> list[LocalFile]:
    files = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            files.append(LocalFile(path.relative_to(folder).as_posix(), path, path.stat().st_size))
    return files


def state_path(base_url: str, folder: Path) -> Path:
    digest = hashlib.sha256(f"{base_url.rstrip('/')}\n{folder.resolve()}".encode()).hexdigest()[:24]
    return STATE_DIR / f"{digest}.json"


def find_or_create_record(client: Client, args, folder: Path) -> int:
    if args.record:
        return int(args.record)
    state = state_path(client.base, folder)
    if state.exists():
        try:
            record_id = int(json.loads(state.read_text())["record"])
        except (ValueError, KeyError, TypeError):
            record_id = 0
        if record_id:
            try:
                body = client.call("GET", f"/api/v1/records/{record_id}").json()
            except ApiError:
                body = {}
            if body.get("state") == "draft" or body.get("edit_draft"):
                return record_id
    if args.metadata:
        metadata = json.loads(Path(args.metadata).read_text(encoding="utf-8"))
    else:
        metadata = {"title": folder.resolve().name}
    record_id = int(client.call("POST", "/api/v1/records", json={"metadata": metadata}).json()["id"])
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"record": record_id, "folder": str(folder.resolve())}))
    return record_id


def _chunks(path: Path, offset: int, size: int, chunk: int):
    with path.open("rb") as source:
        source.seek(offset)
        while offset < size:
            data = source.read(min(chunk, size - offset))
            if not data:
                raise OSError(f"{path} shrank while being uploaded")
            yield offset, data
            offset += len(data)


def upload_one(
    client: Client, record_id: int, local: LocalFile, upload: dict | None, chunk: int, bars: Progress
) -> dict:
    """Send what the server lacks of ``local`` (continuing ``upload`` when it has one), then finish."""
    if upload is not None and upload.get("size") != local.size:
        client.call("DELETE", f"/api/v1/uploads/{upload['id']}", ok=(204, 404))
        upload = None
    if upload is None:
        upload = client.call(
            "POST", f"/api/v1/records/{record_id}/uploads", json={"key": local.key, "size": local.size}
        ).json()
        offset = 0
    else:
        try:
            head = client.call("HEAD", f"/api/v1/uploads/{upload['id']}", ok=(200,))
            offset = int(head.headers["Upload-Offset"])
        except ApiError as exc:
            if exc.status != 404:  # gone (expired, or its bytes lost): start again
                raise
            upload = client.call(
                "POST", f"/api/v1/records/{record_id}/uploads", json={"key": local.key, "size": local.size}
            ).json()
            offset = 0
    url = f"/api/v1/uploads/{upload['id']}"
    task = bars.start(local.key, local.size, offset)
    bars.advance(task, 0)
    bars.advance(None, offset, sent=False)
    while offset < local.size:
        start = offset
        for start, data in _chunks(local.path, offset, local.size, chunk):
            if STOP.is_set():
                raise Stopped(local.key)
            try:
                response = client.call(
                    "PATCH",
                    url,
                    data=data,
                    headers={"Upload-Offset": str(start), "Content-Type": "application/offset+octet-stream"},
                    retry=False,
                )
            except RETRYABLE:
                time.sleep(1)
                break  # ask the server where it stands
            except ApiError as exc:
                if exc.status in (409, 423, 429, 503) and "Upload-Offset" in exc.headers:
                    time.sleep(0.5 if exc.status != 409 else 0)
                    break
                raise
            bars.advance(task, len(data))
            offset = int(response.headers.get("Upload-Offset", start + len(data)))
        else:
            break
        head = client.call("HEAD", url, ok=(200,))
        new = int(head.headers["Upload-Offset"])
        bars.advance(task, max(0, new - offset), sent=False)
        offset = new
    answer = client.call(
        "POST", f"{url}/finish", json={"md5": f"md5:{local.md5}", "sha256": f"sha256:{local.sha256}"}
    )
    stored = answer.json()
    bars.finish(task)
    if stored.get("sha256", "").removeprefix("sha256:") != local.sha256:
        raise RuntimeError(
            f"{local.key}: the server stored SHA-256 {stored.get('sha256')}, not {local.sha256}"
        )
    return stored


def run(args) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder", file=sys.stderr)
        return 2
    base = args.url or os.environ.get("REPO_URL", "")
    token = args.token or os.environ.get("REPO_TOKEN", "")
    if not base or not token:
        print(
            "error: give the portal's address and a token (--url/--token or REPO_URL/REPO_TOKEN)",
            file=sys.stderr,
        )
        return 2
    client = Client(base, token)
    chunk = max(64 * 1024, int(args.chunk_mib * 1024 * 1024))
    local_files = scan(folder)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(LocalFile.hash, local_files))
    record_id = find_or_create_record(client, args, folder)
    listing = client.call("GET", f"/api/v1/records/{record_id}/files").json()
    held = {f["key"]: f for f in listing.get("files", []) if f.get("status") != "removed"}
    uploads = {u["key"]: u for u in listing.get("uploads", []) if u.get("state", "active") == "active"}
    todo = [
        f
        for f in local_files
        if not (
            held.get(f.key, {}).get("size") == f.size
            and held[f.key].get("sha256", "").removeprefix("sha256:") == f.sha256
        )
    ]
    total = sum(f.size for f in local_files)
    print(
        f"record {record_id}: {len(local_files)} files, {len(local_files) - len(todo)} already there",
        flush=True,
    )
    failures = []
    with Progress(not args.no_progress, total, len(local_files)) as bars:
        bars.advance(None, total - sum(f.size for f in todo), sent=False)
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs))
        try:
            futures = {
                pool.submit(upload_one, client, record_id, f, uploads.get(f.key), chunk, bars): f
                for f in todo
            }
            for future in concurrent.futures.as_completed(futures):
                try:
                    future.result()
                except (ApiError, RuntimeError, OSError, requests.RequestException) as exc:
                    failures.append(f"{futures[future].key}: {exc}")
        except KeyboardInterrupt:
            STOP.set()  # running files stop after their current chunk; queued ones never start
            pool.shutdown(wait=True, cancel_futures=True)
            print(f"sent {bars.sent} bytes", flush=True)
            raise
        pool.shutdown(wait=True)
    for line in failures:
        print(f"error: {line}", file=sys.stderr)
    print(f"sent {bars.sent} bytes", flush=True)
    if failures:
        return 1
    if args.publish:
        body = client.call(
            "POST", f"/api/v1/records/{record_id}/actions/publish", json={"accept_declaration": True}
        ).json()
        print(f"published: {body.get('links', {}).get('html', record_id)}", flush=True)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="repo-upload", description="Upload a folder into a draft, resumably.")
    p.add_argument("folder")
    p.add_argument("--url", help="the portal's address (env REPO_URL)")
    p.add_argument("--token", help="a personal access token with deposit:write (env REPO_TOKEN)")
    p.add_argument("--record", type=int, help="an existing draft (default: a new one, remembered for reruns)")
    p.add_argument("--metadata", help="a JSON file with the new draft's metadata")
    p.add_argument("--jobs", type=int, default=4, help="files sent in parallel (default 4)")
    p.add_argument("--chunk-mib", type=float, default=8, help="bytes per request, in MiB (default 8)")
    p.add_argument(
        "--publish", action="store_true", help="publish once every file is there (deposit:actions)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args)
    except ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except requests.RequestException as exc:
        print(f"error: cannot reach the portal: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: run the same command again to continue", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
