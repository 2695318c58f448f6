"""Fixtures for the withdrawal, tombstone, quota and staff desk tests."""

from __future__ import annotations

import uuid

import pytest

DATA = b"id,value\n1,42\n2,43\n"

METADATA = {
    "resource_type": {"type": "dataset"},
    "title": "Sentiment of Swedish parliamentary speeches",
    "publication_date": "2024-05-17",
    "creators": [{"name": "Lindqvist, Åsa", "affiliations": [{"name": "Stockholm University"}]}],
    "description": "<p>Speeches from the Riksdag.</p>",
    "languages": ["swe"],
    "access_right": "open",
    "license": "CC-BY-4.0",
}


@pytest.fixture(autouse=True)
def desk_settings(settings):
    settings.SITE_URL = "http://testserver"
    settings.STAFF_EMAILS = ["desk@repository.example.org"]
    return settings


@pytest.fixture
def published(depositor, django_capture_on_commit_callbacks):
    """A published record with one file, built through the verbs."""
    from records import services
    from storage import services as storage

    with django_capture_on_commit_callbacks(execute=True):
        draft = services.create_draft(depositor, dict(METADATA))
        storage.store_bytes(draft.bucket, "data/table.csv", DATA, depositor)
        record = services.publish(draft, depositor, declaration_accepted=True)
    return record


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    """Run a block's on-commit work (e-mail) at its end: ``with capture(): …``."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def client_ip():
    """A client at an address of its own, so the report rate limit of one test never touches another."""
    from django.test import Client

    def make(user=None):
        c = Client(REMOTE_ADDR=f"test-{uuid.uuid4().hex}")
        if user is not None:
            c.force_login(user)
        return c

    return make


def mails_to(mailbox, address) -> list:
    return [m for m in mailbox if address in m.to]
