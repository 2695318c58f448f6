"""Project-wide request guards.

``refuse_control_characters``: NUL and other control characters in the path, a query parameter or a
form field are a 400 naming where they were (an HTML page, or JSON under ``/api/``), before any view,
database query or log line sees them. Tab, line feed and carriage return are allowed in query and
form values (text areas send them). ``/oai2d`` is left to the OAI-PMH view, which must answer
HTTP 200 with ``badArgument`` (the protocol's rule).
"""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

PATH_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
VALUE_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EXEMPT_PATHS = ("/oai2d",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _shown(name: str) -> str:
    return PATH_CONTROL_RE.sub("?", name)[:100]


def _problem(request: HttpRequest) -> str | None:
    if PATH_CONTROL_RE.search(request.path):
        return _("The address contains NUL or other control characters.")
    for key, values in request.GET.lists():
        if VALUE_CONTROL_RE.search(key) or any(VALUE_CONTROL_RE.search(v) for v in values):
            return _("The query parameter “%(name)s” contains NUL or other control characters.") % {
                "name": _shown(key)
            }
    if request.method == "POST" and request.content_type in FORM_TYPES:
        for key, values in request.POST.lists():
            if VALUE_CONTROL_RE.search(key) or any(VALUE_CONTROL_RE.search(v) for v in values):
                return _("The form field “%(name)s” contains NUL or other control characters.") % {
                    "name": _shown(key)
                }
    return None


def bad_request(request: HttpRequest, reason: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": reason, "message": reason}, status=400)
    return render(request, "400.html", {"reason": reason}, status=400)


def refuse_control_characters(get_response):
    def middleware(request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(EXEMPT_PATHS):
            try:
                problem = _problem(request)
            except MultiPartParserError:
                problem = _("The form data could not be read.")
            except TooManyFieldsSent:
                problem = _("The form has more than %(count)s fields.") % {
                    "count": f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,}"
                }
            except RequestDataTooBig:
                problem = _("The form data is larger than %(size)s MB.") % {
                    "size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 10**6
                }
            if problem:
                return bad_request(request, problem)
        return get_response(request)

    return middleware


# --- Security headers ---------------------------------------------------------------------------

# Scripts only from this site (or inline with this response's nonce); styles from this site, style
# attributes allowed (folder indentation uses a CSS variable); nothing framed, no plugins.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
    "style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The Swagger UI (/api/docs) ships an inline <style> and sets styles from its scripts.
API_DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)


def security_headers(get_response):
    """A Content-Security-Policy on every HTML page (``csp_nonce`` in the templates' context for an
    inline script) and a Permissions-Policy on every response; Referrer-Policy and
    X-Content-Type-Options come from Django's SecurityMiddleware (SECURE_REFERRER_POLICY, nosniff)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = get_response(request)
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html") and "Content-Security-Policy" not in response:
            policy = API_DOCS_POLICY if request.path_info.startswith("/api/docs") else PAGE_POLICY
            response["Content-Security-Policy"] = policy.format(nonce=nonce)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
        response.setdefault("X-Content-Type-Options", "nosniff")
        return response

    return middleware
