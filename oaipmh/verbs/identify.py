"""Identify (spec 4.2)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re

from django.conf import settings
from django.db.models import Min

from oaipmh import envelope
from oaipmh.envelope import XSI_NS, text
from oaipmh.services import oai_identifier, visible_records

OAI_IDENTIFIER_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
EPRINTS_NS = "http://www.openarchives.org/OAI/1.1/eprints"
# The oai-identifier schema's repositoryIdentifierType: a domain name.
DOMAIN_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+")
# OAI-PMH.xsd's emailType.
EMAIL_RE = re.compile(r"\S+@(\S+\.)+\S+")
CC0_URL = "https://creativecommons.org/publicdomain/zero/1.0/"
METADATA_POLICY = (
    "Metadata is licensed under CC0 1.0 Universal (public domain dedication), except for e-mail "
    "addresses, which are never exported. All metadata may be harvested and re-used for any purpose, "
    "including commercial, without asking permission."
)
DATA_POLICY = "Files are re-usable under the licence their record names; see the repository's policies."


def earliest_datestamp() -> dt.datetime:
    """The oldest datestamp the repository has ever shown (every header is at or after it)."""
    earliest = visible_records().aggregate(earliest=Min("datestamp"))["earliest"]
    return earliest or dt.datetime.now(dt.UTC)


def _is_ip(domain: str) -> bool:
    try:
        ipaddress.ip_address(domain.strip("[]"))
    except ValueError:
        return False
    return True


def admin_email() -> str:
    """``ADMIN_EMAIL``, or, if the schema would refuse it (the development default ``admin@localhost``
    when ``SITE_URL`` is http://localhost:…, or an IPv6 host), the same name under the reserved
    ``.invalid`` domain: Identify stays valid and says plainly that no real address is configured
    (the system check ``oaipmh.W001`` asks for ``STAFF_EMAILS`` or ``ADMIN_EMAIL``)."""
    address = settings.ADMIN_EMAIL
    local, _at, domain = address.rpartition("@")
    if EMAIL_RE.fullmatch(address) and not _is_ip(domain):
        return address
    if _is_ip(domain):  # admin@127.0.0.1 (make run's default) is no address anyone can write to
        domain = "localhost"
    domain = re.sub(r"[^A-Za-z0-9\-]+", "-", domain).strip("-") or "localhost"
    return f"{local or 'admin'}@{domain}.invalid"


def identify(request) -> list[str]:
    earliest = earliest_datestamp()
    body = [
        "<Identify>",
        f"<repositoryName>{text(settings.SITE_NAME)}</repositoryName>",
        f"<baseURL>{text(request.base_url)}</baseURL>",
        "<protocolVersion>2.0</protocolVersion>",
        f"<adminEmail>{text(admin_email())}</adminEmail>",
        f"<earliestDatestamp>{envelope.utc(earliest)}</earliestDatestamp>",
        "<deletedRecord>persistent</deletedRecord>",
        "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>",
        "<compression>gzip</compression>",  # oaipmh.views.endpoint, when the client accepts it
        *descriptions(),
        "</Identify>",
    ]
    return [envelope.head(request.base_url, request.echo()) + "".join(body) + envelope.TAIL]


def descriptions() -> list[str]:
    """oai-identifier (when the repository identifier is a domain name, as its schema requires) and
    the metadata rights: CC0, stated in the OAI ``eprints`` description's metadataPolicy."""
    parts = []
    repository = settings.OAI_REPOSITORY_IDENTIFIER
    if DOMAIN_RE.fullmatch(repository):
        parts.append(
            f'<description><oai-identifier xmlns="{OAI_IDENTIFIER_NS}" xmlns:xsi="{XSI_NS}" '
            f'xsi:schemaLocation="{OAI_IDENTIFIER_NS} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd">'
            f"<scheme>oai</scheme><repositoryIdentifier>{text(repository)}</repositoryIdentifier>"
            f"<delimiter>:</delimiter><sampleIdentifier>{text(oai_identifier(1))}</sampleIdentifier>"
            "</oai-identifier></description>"
        )
    policies = f"{settings.SITE_URL}/policies/"
    parts.append(
        f'<description><eprints xmlns="{EPRINTS_NS}" xmlns:xsi="{XSI_NS}" '
        f'xsi:schemaLocation="{EPRINTS_NS} http://www.openarchives.org/OAI/1.1/eprints.xsd">'
        f"<metadataPolicy><text>{text(METADATA_POLICY)}</text><URL>{text(CC0_URL)}</URL></metadataPolicy>"
        f"<dataPolicy><text>{text(DATA_POLICY)}</text><URL>{text(policies)}</URL></dataPolicy>"
        "</eprints></description>"
    )
    return parts
