"""Fixtures for the storage tests: records built through the records services, and upload helpers."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import pytest
from django.conf import settings

from tests.records.conftest import VALID


@pytest.fixture
def metadata():
    return copy.deepcopy(VALID)


@pytest.fixture
def draft(depositor, metadata):
    from records.services import create_draft

    return create_draft(depositor, metadata)


@pytest.fixture
def publish():
    """``publish(record, user)`` through the records verb."""
    from records.services import publish as publish_record

    def do(record, user):
        return publish_record(record, user, declaration_accepted=True)

    return do


@pytest.fixture
def open_edit():
    from records.services import open_edit as open_edit_draft

    return open_edit_draft


@pytest.fixture
def primary_root() -> Path:
    from storage.backends.local import local_root

    return local_root(settings.STORAGE_LOCATIONS[0][1])


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()
