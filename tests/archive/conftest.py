"""Fixtures for the archive tests: published records with files, built through the services."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest

from tests.records.conftest import VALID

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
        for key, data in files.items():
            store_bytes(draft.bucket, key, data, owner)
        with django_capture_on_commit_callbacks(execute=True):
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
        for key, data in files.items():
            store_bytes(record.bucket, key, data, user)
        with django_capture_on_commit_callbacks(execute=True):
            publish(record, user, declaration_accepted=True)
        record.refresh_from_db()
        return record

    return edit
