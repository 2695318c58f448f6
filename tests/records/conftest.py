"""Fixtures for the records tests: valid metadata and records built through the services."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.utils import timezone

VALID = {
    "resource_type": {"type": "dataset"},
    "title": "Swedish parliamentary speeches annotated for sentiment",
    "publication_date": "2024-05-17",
    "creators": [
        {
            "name": "Lindqvist, Åsa",
            "family_name": "Lindqvist",
            "given_name": "Åsa",
            "orcid": "0000-0002-1825-0097",
            "affiliations": [{"name": "Stockholm University", "ror": "https://ror.org/05f0yaq80"}],
        },
        {
            "name": "Smith, John",
            "family_name": "Smith",
            "given_name": "John",
            "affiliations": [{"name": "MIT"}],
        },
    ],
    "description": "<p>Speeches from the <strong>Riksdag</strong>, 2010–2020.</p>",
    "languages": ["swe", "eng"],
    "keywords": ["sentiment analysis", "politics"],
    "access_right": "open",
    "license": "CC-BY-4.0",
    "contact_email": "secret.contact@example.se",
}


@pytest.fixture
def valid_metadata():
    return copy.deepcopy(VALID)


def make_metadata(**changes) -> dict:
    data = copy.deepcopy(VALID)
    data.update(changes)
    return data


@pytest.fixture
def draft(depositor, valid_metadata):
    from records.services import create_draft

    return create_draft(depositor, valid_metadata)


@pytest.fixture
def published(depositor, valid_metadata):
    from records.services import create_draft, publish

    record = create_draft(depositor, valid_metadata)
    return publish(record, depositor, declaration_accepted=True)


def future(days: int = 30) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()
