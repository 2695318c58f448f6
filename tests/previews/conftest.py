"""Records with one stored file each, built through the services."""

from __future__ import annotations

import hashlib

import pytest

from tests.records.conftest import make_metadata


@pytest.fixture
def stored(depositor):
    """``stored(key, data)`` → (draft record, its staged file version)."""
    from records.services import create_draft
    from storage import services as storage_services

    def make(key: str, data: bytes, *, user=None):
        owner = user or depositor
        record = create_draft(owner, make_metadata())
        version = storage_services.store_bytes(record.files_bucket(), key, data, owner)
        return record, version

    return make


def stored_sha256(version) -> str:
    from storage import services as storage_services

    return "sha256:" + hashlib.sha256(storage_services.read_object(version.instance)).hexdigest()
