from __future__ import annotations

import functools
import re
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.templatetags.static import static
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.gzip import gzip_page
from lxml import etree

from oaipmh import verbs

XSL_PATH = Path(__file__).resolve().parent / "xsl" / "oai2.xsl"
MEDIA_RANGE_RE = re.compile(r"^\s*([^;\s]+)\s*(?:;(.*))?$")
HTML_TYPES = {"text/html", "application/xhtml+xml"}
XML_TYPES = {"text/xml", "application/xml", "*/*", "text/*", "application/*"}


def base_url() -> str:
    return f"{settings.SITE_URL}/oai2d"


def prefers_html(accept: str) -> bool:
    """True when the Accept header ranks HTML above XML (a browser); harvesters sending ``*/*``, an
    XML type or no Accept at all get the XML."""
    best = {"html": 0.0, "xml": 0.0}
    for part in (accept or "").split(","):
        match = MEDIA_RANGE_RE.match(part)
        if not match:
            continue
        media, params = match.group(1).lower(), match.group(2) or ""
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        kind = "html" if media in HTML_TYPES else "xml" if media in XML_TYPES else None
        if kind:
            best[kind] = max(best[kind], quality)
    return best["html"] > 0 and best["html"] > best["xml"]


@functools.cache
def stylesheet() -> etree.XSLT:
    return etree.XSLT(etree.parse(str(XSL_PATH)))


def as_html(xml: bytes, endpoint: str) -> bytes:
    """The response as a page for people (oaipmh/xsl/oai2.xsl), applied here: browsers are dropping XSLT."""
    page = stylesheet()(
        etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True)),
        css=etree.XSLT.strparam(static("css/site.css")),
        oaicss=etree.XSLT.strparam(static("oaipmh/oai.css")),
        site=etree.XSLT.strparam(settings.SITE_NAME),
        endpoint=etree.XSLT.strparam(endpoint),
    )
    return bytes(page)


@csrf_exempt
@gzip_page
def endpoint(request):
    """The OAI-PMH base URL: GET (query string) or POST (form); protocol errors are HTTP 200.

    A browser (Accept preferring text/html) gets the response rendered as an HTML page. A client
    that sends ``Accept-Encoding: gzip`` gets the response gzip-compressed, as it streams (Identify
    declares ``<compression>gzip</compression>``)."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    params = request.POST if request.method == "POST" else request.GET
    chunks = verbs.handle(dict(params.lists()), base_url())
    response: HttpResponse | StreamingHttpResponse
    if prefers_html(request.headers.get("Accept", "")):
        xml = "".join(chunks).encode("utf-8")
        response = HttpResponse(as_html(xml, request.path), content_type="text/html; charset=utf-8")
    else:
        response = StreamingHttpResponse(
            (chunk.encode("utf-8") for chunk in chunks), content_type="text/xml; charset=utf-8"
        )
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ["Accept"])
    return response
