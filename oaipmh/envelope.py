"""The OAI-PMH XML envelope, written as text: the endpoint streams stored payload fragments into it.

Every value that reaches the output goes through ``text``/``attr`` (escaping, and characters that are
illegal in XML 1.0 removed), so a quote or an angle bracket in a request stays well-formed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_SCHEMA_LOCATION = "http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_SCHEMA_LOCATION = f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"

XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Unreserved and reserved URI characters but '#', '[' and ']' (RFC 3986), kept as they are when echoed.
URI_SAFE = "-._~:/?@!$&'()*+,;="
# The protocol's request arguments, in the order they are echoed.
REQUEST_ATTRIBUTES = ("verb", "identifier", "metadataPrefix", "from", "until", "set", "resumptionToken")


def text(value: str) -> str:
    return escape(XML_ILLEGAL_RE.sub("", str(value)))


def attr(value: str) -> str:
    return quoteattr(XML_ILLEGAL_RE.sub("", str(value)))


def utc(value: dt.datetime) -> str:
    """A datestamp at the repository's granularity: ``YYYY-MM-DDThh:mm:ssZ``."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def uri(value: str) -> str:
    """``value`` made a valid xs:anyURI for echoing: characters a URI cannot hold are %-encoded."""
    return quote(value, safe=URI_SAFE)


def head(base_url: str, request_args: dict[str, str] | None, now: dt.datetime | None = None) -> str:
    """Everything up to and including ``<request>``; ``request_args`` None → no attributes."""
    now = now or dt.datetime.now(dt.UTC)
    echoed = dict(request_args or {})
    if "identifier" in echoed:
        echoed["identifier"] = uri(echoed["identifier"])
    attributes = "".join(f" {name}={attr(echoed[name])}" for name in REQUEST_ATTRIBUTES if name in echoed)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="{XSI_NS}" xsi:schemaLocation="{OAI_SCHEMA_LOCATION}">'
        f"<responseDate>{utc(now)}</responseDate>"
        f"<request{attributes}>{text(base_url)}</request>"
    )


TAIL = "</OAI-PMH>\n"


def errors(base_url: str, request_args: dict[str, str] | None, items: Iterable[tuple[str, str]]) -> str:
    body = "".join(f"<error code={attr(code)}>{text(message)}</error>" for code, message in items)
    return head(base_url, request_args) + body + TAIL


def header(
    identifier: str, datestamp: dt.datetime, set_specs: Iterable[str] = (), deleted: bool = False
) -> str:
    status = ' status="deleted"' if deleted else ""
    sets = "".join(f"<setSpec>{text(spec)}</setSpec>" for spec in set_specs)
    return (
        f"<header{status}><identifier>{text(identifier)}</identifier>"
        f"<datestamp>{utc(datestamp)}</datestamp>{sets}</header>"
    )


def resumption_token(
    token: str, cursor: int, complete_list_size: int | None, expires: dt.datetime | None
) -> str:
    """``token`` empty → the final page's empty element (with its counts, no expiry).
    ``complete_list_size`` None → the attribute is left out (optional in the protocol)."""
    expiry = f' expirationDate="{utc(expires)}"' if token and expires else ""
    size = f' completeListSize="{complete_list_size}"' if complete_list_size is not None else ""
    return f'<resumptionToken{size} cursor="{cursor}"{expiry}>{text(token)}</resumptionToken>'


def oai_dc(fields: Iterable[tuple[str, str]]) -> str:
    """A small ``oai_dc:dc`` document (for set descriptions); empty values are left out."""
    body = "".join(f"<dc:{name}>{text(value)}</dc:{name}>" for name, value in fields if value)
    return (
        f'<oai_dc:dc xmlns:oai_dc="{OAI_DC_NS}" xmlns:dc="{DC_NS}" xmlns:xsi="{XSI_NS}" '
        f'xsi:schemaLocation="{OAI_DC_SCHEMA_LOCATION}">{body}</oai_dc:dc>'
    )
