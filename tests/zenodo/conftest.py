"""Fixtures for the Zenodo-compatible API: token clients and Zenodo-style metadata."""

from __future__ import annotations

import copy

import pytest
from rest_framework.test import APIClient

from accounts.services import create_token

LEGACY = {
    "upload_type": "dataset",
    "title": "Ice core isotopes from Lomonosovfonna",
    "description": "<p>Stable water isotopes, 1950–2010.</p>",
    "creators": [
        {"name": "Lindqvist, Åsa", "affiliation": "Stockholm University", "orcid": "0000-0002-1825-0097"},
        {"name": "Smith, John"},
    ],
    "access_right": "open",
    "license": "cc-by-4.0",
    "publication_date": "2024-05-17",
    "keywords": ["glaciology", "isotopes"],
    "version": "1.0",
    "language": "eng",
    "related_identifiers": [{"identifier": "10.1234/abc.5678", "relation": "isSupplementTo"}],
}


@pytest.fixture
def legacy_metadata() -> dict:
    return copy.deepcopy(LEGACY)


def token_for(user, scopes=("deposit:write", "deposit:actions")) -> str:
    _token, secret = create_token(user, "zenodo client", list(scopes))
    return secret


def api_for(user, scopes=("deposit:write", "deposit:actions")) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scopes)}")
    return client


@pytest.fixture
def zenodo_api(depositor, settings) -> APIClient:
    settings.SITE_URL = "http://testserver"
    return api_for(depositor)
