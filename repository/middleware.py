"""Per-address limits for anonymous pages that are costly to answer: search and OAI-PMH.

The API has its own (DRF throttles, ``accounts.throttles``), login has django-axes. Signed-in users
are not counted here. ``/oai2d`` answers 503 with ``Retry-After``: OAI-PMH has no error code for it.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.ratelimit import hit_ip, too_many_requests
from accounts.redact import strip_token_from_url


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
