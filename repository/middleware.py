"""Per-address limits for anonymous pages that are costly to answer: search and OAI-PMH.

The API has its own (DRF throttles, ``accounts.throttles``), login has django-axes. Signed-in users
are not counted here. ``/oai2d`` answers 503 with ``Retry-After``: OAI-PMH has no error code for it.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.ratelimit import hit_ip, too_many_requests
from accounts.redact import strip_token_from_url

logger = logging.getLogger(__name__)


class AnonymousRateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.RATELIMIT_ENABLE and not request.user.is_authenticated:
            path = request.path_info
            if path == "/oai2d" or path.startswith("/oai2d/"):
                verdict = hit_ip(request, "oai", settings.RATELIMIT_OAI)
                if verdict.limited:
                    response = HttpResponse(
                        _("Too many OAI-PMH requests from your address; retry after %(n)d seconds.")
                        % {"n": verdict.retry_after},
                        status=503,
                        content_type="text/plain; charset=utf-8",
                    )
                    response["Retry-After"] = str(verdict.retry_after)
                    return response
            elif path == "/search/" or path.startswith("/search/"):
                verdict = hit_ip(request, "search", settings.RATELIMIT_SEARCH)
                if verdict.limited:
                    return too_many_requests(
                        request, verdict.retry_after, _("Too many searches from your address.")
                    )
        return self.get_response(request)


class RedactTokenRedirectMiddleware:
    """A redirect (an appended slash, a sign-in page) never carries an ``access_token`` onwards."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        location = response.get("Location")
        if location and "token" in location.lower():
            response["Location"] = strip_token_from_url(location)
        return response


API_PREFIX = "/api/v1/"


def _generic_message(status: int, request) -> str:
    messages = {
        400: _("The request is malformed."),
        401: _("Sign in or send an access token."),
        403: _("You may not do this."),
        404: _("There is nothing at this address of the API."),
        405: _("The method %(method)s is not allowed here.") % {"method": request.method},
        406: _("The API answers in JSON (application/json)."),
        413: _("The request body is too large (at most %(count)d bytes).")
        % {"count": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
        415: _("Send the body as JSON (Content-Type: application/json)."),
        429: _("Too many requests; retry later."),
    }
    if status in messages:
        return messages[status]
    if status >= 500:
        return _("An unexpected error occurred on the server; it has been logged.")
    return HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else _("Error.")


def _path(prefix: str, key: object) -> str:
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        return f"{prefix}[{key}]"
    if key in ("non_field_errors", "detail", "$"):
        return prefix
    return f"{prefix}.{key}"


def _flatten(value: object, field: str) -> list[dict]:
    """DRF's validation errors ({field: [messages]}, nested) as ``[{"field": "$.a[0].b", "messages"}]``."""
    if isinstance(value, dict):
        return [error for key, item in value.items() for error in _flatten(item, _path(field, key))]
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return [{"field": field, "messages": [str(item) for item in value]}]
    if isinstance(value, list):
        return [error for index, item in enumerate(value) for error in _flatten(item, _path(field, index))]
    if value in (None, "", {}):
        return []
    return [{"field": field, "messages": [str(value)]}]


def error_body(data: object, status: int, request) -> dict:
    """Any error answer of ``/api/v1/`` in the one shape: ``{"status", "message", "errors": [{"field",
    "messages"}]}`` (other keys an answer carries, such as ``code`` or ``offset``, are kept)."""
    if isinstance(data, dict) and isinstance(data.get("errors"), list) and "message" in data:
        body = dict(data)
        errors = []
        for item in data["errors"]:
            if isinstance(item, dict):
                error = dict(item)
                error.setdefault("field", "$")
                if not isinstance(error.get("messages"), list):
                    error["messages"] = [str(error.get("message", ""))] if error.get("message") else []
                errors.append(error)
            else:
                errors.append({"field": "$", "messages": [str(item)]})
        body["errors"] = errors
    elif isinstance(data, dict) and ("message" in data or "detail" in data):
        body = {key: value for key, value in data.items() if key != "detail"}
        body["message"] = str(data.get("message") or data.get("detail"))
        body["errors"] = [] if status >= 500 else [{"field": "$", "messages": [body["message"]]}]
    elif isinstance(data, dict | list) and data:
        errors = _flatten(data, "$")  # a serializer's validation errors
        first = errors[0] if errors else {"field": "$", "messages": []}
        where = "" if first["field"] == "$" else f"{first['field']}: "
        message = (
            where + "; ".join(first["messages"]) if first["messages"] else _generic_message(status, request)
        )
        body = {"message": message, "errors": errors}
    else:
        message = _generic_message(status, request)
        body = {
            "message": message,
            "errors": [] if status >= 500 else [{"field": "$", "messages": [message]}],
        }
    body["status"] = status
    return body


class ApiErrorMiddleware:
    """Under ``/api/v1/``, every error is JSON in one shape, whoever answered: a view, DRF, Django's
    URL resolver (404, 405), a body that is too large (413) or an unexpected exception (500)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path_info.startswith(API_PREFIX) or response.status_code < 400:
            return response
        if getattr(response, "streaming", False):
            return response
        content_type = response.get("Content-Type", "")
        data: object = None
        if content_type.startswith("application/json") or content_type.startswith("application/problem+json"):
            try:
                data = json.loads(response.content or b"null")
            except ValueError:
                data = None
        if isinstance(data, dict) and data.get("status") == response.status_code and "errors" in data:
            return response
        shaped = JsonResponse(error_body(data, response.status_code, request), status=response.status_code)
        for header in (
            "Retry-After",
            "Allow",
            "WWW-Authenticate",
            "Upload-Offset",
            "Upload-Length",
            "Location",
            "Vary",
        ):
            if header in response:
                shaped[header] = response[header]
        if response.status_code >= 500 and data is None:
            logger.error("API %s %s answered %s", request.method, request.path_info, response.status_code)
        return shaped


class OwnNotFoundPageMiddleware:
    """The site's own 404 page in every mode: with DEBUG on, Django answers an unknown address (or a
    view's Http404) with its technical page; that page is replaced by ``404.html``."""

    MARKER = b"because you have <code>DEBUG = True</code>"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and not getattr(response, "streaming", False)
            and response.get("Content-Type", "").startswith("text/html")
            and self.MARKER in response.content
        ):
            return render(request, "404.html", status=404)
        return response
