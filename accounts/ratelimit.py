"""Rate limits on the shared cache (the ``ratelimit`` cache alias: Redis in production).

One place for the client address and for the counters every face uses: django-ratelimit counts
sign-ups, mails per address, comments and anonymous page requests; django-axes locks a login
(account, address) pair; DRF throttles (``accounts.throttles``) limit the API. Every rate is a
setting (``RATELIMIT_*``, README 'Security'); ``RATELIMIT_ENABLE=false`` turns them all off.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage

CACHE_ALIAS = "ratelimit"


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or, behind ``TRUSTED_PROXY_COUNT`` proxies, the address
    the outermost trusted proxy saw (counted from the right of ``X-Forwarded-For``, which a client
    can only prepend to)."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) >= proxies:
        return hops[-proxies][:64]
    return remote


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Verdict:
    limited: bool
    retry_after: int  # seconds until the window ends (0 when not limited)


def hit(request: HttpRequest | None, group: str, rate: str, key: str) -> Verdict:
    """Count one event for ``key`` in ``group`` at ``rate`` (``"5/h"``); say whether it is over."""
    usage = get_usage(request, group=group, key=lambda _g, _r: _digest(key), rate=rate, increment=True)
    if usage is None:  # RATELIMIT_ENABLE is off
        return Verdict(False, 0)
    if not usage["should_limit"]:
        return Verdict(False, 0)
    return Verdict(True, max(1, int(usage["time_left"])))


def hit_ip(request: HttpRequest, group: str, rate: str) -> Verdict:
    return hit(request, group, rate, client_ip(request))


def comment_limit(request: HttpRequest) -> Verdict:
    """Comments (and reports) per account: ``RATELIMIT_COMMENTS``."""
    return hit(request, "comment", settings.RATELIMIT_COMMENTS, f"user:{request.user.pk}")


def wait_text(seconds: int) -> str:
    """'Try again in 3 minutes.' — the wait rounded up to a unit a person reads."""
    if seconds < 120:
        return ngettext("Try again in %(n)d second.", "Try again in %(n)d seconds.", seconds) % {"n": seconds}
    if seconds < 7200:
        minutes = math.ceil(seconds / 60)
        return ngettext("Try again in %(n)d minute.", "Try again in %(n)d minutes.", minutes) % {"n": minutes}
    hours = math.ceil(seconds / 3600)
    return ngettext("Try again in %(n)d hour.", "Try again in %(n)d hours.", hours) % {"n": hours}


def too_many_requests(request: HttpRequest, retry_after: int, message: str = "") -> HttpResponse:
    """The browser answer: a 429 page that says when to try again, with ``Retry-After``."""
    message = message or _("Too many requests.")
    body = render_to_string(
        "429.html",
        {"message": message, "wait": wait_text(retry_after), "retry_after": retry_after},
        request=request,
    )
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(retry_after)
    return response


# --- Login (django-axes) ---------------------------------------------------------------------------
# axes counts failures per (username, address) pair and locks that pair; these add the growing delay:
# each lockout of the same account within a day doubles the next one (up to a maximum), whatever the
# address, while other addresses stay free to sign in: nobody can lock a curator out.


def _lockouts_key(username: str) -> str:
    return f"login-lockouts:{_digest(username)}"


def _until_key(username: str, ip: str) -> str:
    return f"login-until:{_digest(username)}:{_digest(ip)}"


def login_cool_off(request: HttpRequest | None) -> timedelta:
    """``AXES_COOLOFF_TIME``: the base lockout, doubled per earlier lockout of the account today."""
    base = settings.RATELIMIT_LOGIN_LOCKOUT_SECONDS
    username = _posted_username(request)
    earlier = caches[CACHE_ALIAS].get(_lockouts_key(username), 0) if username else 0
    seconds = min(base * 2 ** min(int(earlier), 20), max(base, settings.RATELIMIT_LOGIN_LOCKOUT_MAX_SECONDS))
    return timedelta(seconds=seconds)


def _posted_username(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    data = getattr(request, "data", None) or request.POST
    value = data.get("username", "") if hasattr(data, "get") else ""
    return str(value).strip().lower()


def record_lockout(request: HttpRequest, username: str | None) -> None:
    """On axes' ``user_locked_out``: remember until when this pair is locked, and count the lockout."""
    cache = caches[CACHE_ALIAS]
    name = (username or _posted_username(request)).lower()
    until = timezone.now() + login_cool_off(request)
    timeout = max(1, math.ceil((until - timezone.now()).total_seconds()))
    if not cache.add(_until_key(name, client_ip(request)), until.timestamp(), timeout=timeout):
        return  # axes repeats the signal for every attempt during a lockout: one lockout counts once
    key = _lockouts_key(name)
    if not cache.add(key, 1, timeout=86400):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=86400)


def login_lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: 429, ``Retry-After`` and a page that says when to try again."""
    username = _posted_username(request)
    until = caches[CACHE_ALIAS].get(_until_key(username, client_ip(request)))
    if until is not None:
        retry_after = max(1, math.ceil(float(until) - timezone.now().timestamp()))
    else:
        retry_after = int(login_cool_off(request).total_seconds())
    return too_many_requests(
        request,
        retry_after,
        _("Too many failed sign-ins for this account from your address."),
    )


def axes_client_ip(request: HttpRequest) -> str:
    """``AXES_CLIENT_IP_CALLABLE``: the same client address as every other limit."""
    return client_ip(request)


def axes_username(request: HttpRequest, credentials: dict | None) -> str:
    """``AXES_USERNAME_CALLABLE``: "Curator" and "curator" count as one account."""
    value = (credentials or {}).get("username") or _posted_username(request)
    return str(value or "").strip().lower()
