"""DOIs: one provider interface, two providers.

A record's DOI is fixed at publish (``doi_for``) and never changes; registration with the provider
and later updates (edits, withdrawal, reinstatement) run as Celery tasks after the commit.

- ``local`` (default): ``<DOI_PREFIX>/<site>.<id>``, resolved by the portal's own ``/doi/<doi>``.
- ``datacite``: the same DOI registered through the DataCite REST API with the DataCite XML export;
  on withdrawal the DOI is hidden (never deleted) and keeps pointing at the tombstone.
"""

from __future__ import annotations

import base64
import logging
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.text import slugify
from lxml import etree

from records.exports.datacite import to_datacite

logger = logging.getLogger(__name__)


class DOIError(Exception):
    """The provider refused or could not be reached; the message says which and why."""


def site_slug() -> str:
    """``127-0-0-1`` for http://127.0.0.1:8000, ``repo-example-org`` for https://repo.example.org."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return slugify(host.replace(".", "-")) or "site"


def doi_stem() -> str:
    """Everything of this site's DOIs but the record id: ``10.5072/127-0-0-1.``."""
    return f"{settings.DOI_PREFIX}/{site_slug()}."


def landing_url(record) -> str:
    return settings.SITE_URL + record.get_absolute_url()


class DOIProvider:
    name = ""

    def doi_for(self, record) -> str:
        return f"{doi_stem()}{record.pk}"

    def register(self, record) -> None:
        """Make the DOI resolve to the landing page (called once, after the first publish)."""

    def update(self, record) -> None:
        """Send the current metadata and URL (after an edit, a withdrawal or a reinstatement)."""


class LocalProvider(DOIProvider):
    """DOIs resolved by this portal's ``/doi/<doi>`` route: nothing to tell anyone."""

    name = "local"


class DataCiteProvider(DOIProvider):
    """DataCite REST API (https://support.datacite.org/reference/dois-2), JSON:API with base64 XML."""

    name = "datacite"
    timeout = 30

    def __init__(self, url: str, username: str, password: str, session: requests.Session | None = None):
        self.url = url.rstrip("/")
        self.auth = (username, password)
        self.session = session or requests.Session()

    def register(self, record) -> None:
        payload = self.payload(record, event="publish")
        response = self._send("POST", f"{self.url}/dois", payload)
        if response.status_code == 422 and "taken" in response.text:
            # registered by an earlier attempt whose answer was lost: update it instead
            response = self._send("PUT", f"{self.url}/dois/{record.doi}", payload)
        self._check(response, record)

    def update(self, record) -> None:
        event = "hide" if record.is_withdrawn() else "publish"
        response = self._send("PUT", f"{self.url}/dois/{record.doi}", self.payload(record, event=event))
        self._check(response, record)

    def payload(self, record, *, event: str) -> dict:
        attributes = {"doi": record.doi, "event": event, "url": landing_url(record)}
        attributes["xml"] = base64.b64encode(datacite_xml(record)).decode("ascii")
        return {"data": {"id": record.doi, "type": "dois", "attributes": attributes}}

    def _send(self, method: str, url: str, payload: dict) -> requests.Response:
        try:
            return self.session.request(
                method,
                url,
                json=payload,
                auth=self.auth,
                headers={"Content-Type": "application/vnd.api+json", "Accept": "application/vnd.api+json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise DOIError(f"DataCite unreachable: {exc.__class__.__name__}: {exc}")

    @staticmethod
    def _check(response: requests.Response, record) -> None:
        if response.status_code >= 400:
            try:
                errors = response.json().get("errors", [])
                detail = "; ".join(str(e.get("title") or e) for e in errors) or response.text[:500]
            except ValueError:
                detail = response.text[:500]
            raise DOIError(f"DataCite answered {response.status_code} for {record.doi}: {detail}")
        logger.info("DataCite %s: %s", record.doi, response.status_code)


def datacite_xml(record) -> bytes:
    """The DataCite XML export (``records.exports.datacite``) as bytes."""
    return etree.tostring(to_datacite(record), xml_declaration=True, encoding="UTF-8")


def get_provider() -> DOIProvider:
    if settings.DOI_PROVIDER == "datacite":
        username, password = settings.DATACITE_USERNAME, settings.DATACITE_PASSWORD
        if username is None or password is None:  # the settings refuse to start without them
            raise ImproperlyConfigured("DOI_PROVIDER=datacite needs DATACITE_USERNAME and DATACITE_PASSWORD.")
        return DataCiteProvider(settings.DATACITE_URL, username, password)
    return LocalProvider()
