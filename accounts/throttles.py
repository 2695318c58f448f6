"""DRF throttles for ``/api/``: anonymous calls per client address, authenticated calls per token.

A throttled call answers 429 with ``Retry-After`` and a JSON body (DRF's ``Throttled``). The rates
are ``RATELIMIT_API_ANON`` and ``RATELIMIT_API_USER``; the counters live in the ``ratelimit`` cache.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import PersonalAccessToken
from accounts.ratelimit import CACHE_ALIAS, client_ip


class _Throttle(SimpleRateThrottle):
    setting = ""

    def __init__(self):
        # read at call time, so a test (or a reload) sees the current settings
        self.cache = caches[CACHE_ALIAS]
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def allow_request(self, request, view):
        if not settings.RATELIMIT_ENABLE:
            return True
        return super().allow_request(request, view)

    def get_ident(self, request):
        return client_ip(request)


class AnonymousThrottle(_Throttle):
    scope = "anon"
    setting = "RATELIMIT_API_ANON"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenThrottle(_Throttle):
    scope = "token"
    setting = "RATELIMIT_API_USER"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        if isinstance(request.auth, PersonalAccessToken):
            ident = f"t{request.auth.pk}"
        else:
            ident = f"u{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
