"""Fixtures for the archive tests: published records with files, built through the services."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.records.conftest import VALID

ROOT = Path(__file__).resolve().parents[2]
BAGIT = str(Path(sys.executable).with_name("bagit.py"))


def bagit_validate(path: Path) -> subprocess.CompletedProcess:
    """The Library of Congress tool, as a separate process: ``bagit.py --validate``."""
    return subprocess.run(
        [sys.executable, BAGIT, "--validate", str(path)], capture_output=True, text=True, timeout=300
    )


def flip_one_byte(path: Path, offset: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture
def make_published(depositor, django_capture_on_commit_callbacks):
    """``make_published({"key": bytes, ...}, title=...)``: a published record with those files."""
    from records.services import create_draft, publish
    from storage.services import store_bytes

    def make(files: dict[str, bytes], title: str = "", owner=None):
        owner = owner or depositor
        metadata = copy.deepcopy(VALID)
        if title:
            metadata["title"] = title
        draft = create_draft(owner, metadata)
        with django_capture_on_commit_callbacks(execute=True):  # stored files are copied to replicas
            for key, data in files.items():
                store_bytes(draft.bucket, key, data, owner)
            publish(draft, owner, declaration_accepted=True)
        draft.refresh_from_db()
        return draft

    return make


@pytest.fixture
def edit_files(django_capture_on_commit_callbacks):
    """``edit_files(record, user, {"key": bytes})``: publish an edit that replaces or adds files."""
    from records.services import open_edit, publish
    from storage.services import store_bytes

    def edit(record, user, files: dict[str, bytes]):
        record = open_edit(record, user)
        with django_capture_on_commit_callbacks(execute=True):  # stored files are copied to replicas
            for key, data in files.items():
                store_bytes(record.bucket, key, data, user)
            publish(record, user, declaration_accepted=True)
        record.refresh_from_db()
        return record

    return edit


# --- A second, empty instance: its own PostgreSQL database and storage folder -------------------------


def _admin_connection():
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = psycopg2.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"] or None, dbname="postgres"
    )
    conn.autocommit = True
    return conn


def _database_url(name: str) -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{name}"


class Instance:
    """Another instance of the portal: ``run("import_bags", src)`` runs manage.py against it."""

    def __init__(self, name: str, root: Path):
        self.name = name
        self.root = root
        self.storage = root / "storage"
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(name),
            "VAR_DIR": str(root / "var"),
            "STORAGE_LOCATIONS": f"primary=file://{self.storage}",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "DJANGO_SETTINGS_MODULE": "repository.settings",
            "PYTHONPATH": str(ROOT),
        }

    def run(self, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *map(str, args)],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def snapshot(self) -> dict:
        result = self.run("shell", "-c", "from tests.archive.snapshot import show; show()", check=True)
        return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory, django_db_setup):
    """A migrated, empty database (once per session), copied for every ``empty_instance``."""
    from django.conf import settings

    name = f"{settings.DATABASES['default']['NAME']}_tpl"[:63]
    conn = _admin_connection()
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    Instance(name, tmp_path_factory.mktemp("template")).run("migrate", "-v0", check=True)
    yield name
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


@pytest.fixture
def empty_instance(migrated_template, tmp_path):
    name = f"{migrated_template[:40]}_{uuid.uuid4().hex[:12]}"
    conn = _admin_connection()
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template}"')
    yield Instance(name, tmp_path / "instance")
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()
