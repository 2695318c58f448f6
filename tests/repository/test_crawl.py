"""The crawl (issue #10): every URL pattern, requested with malformed path values, query strings, form
and JSON bodies, as anonymous, depositor, curator and staff, never answers 5xx.

Values are sampled deterministically (roles take turns over the variants) so the crawl stays within
about two minutes on two cores; a failure lists every URL that answered 5xx.
"""

from __future__ import annotations

import itertools
import json
import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from curation import services as curation_services
from records import services
from tests.records.conftest import make_metadata

pytestmark = pytest.mark.django_db

CONVERTER_RE = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
HUGE = "9" * 30
BAD_TEXT = ["\x00", "..", "x" * 2100, "ü日本語 ☃", "%25", "' OR 1=1 --"]
BAD_PATH = ["\x00", "../../../etc/passwd", "a/" * 300, "ü/日本/☃", "x" * 3000, "%2e%2e/%2e%2e"]
BAD_QUERIES = [
    "page=%00&q=%00",
    "q=" + "-" * 40 + "&page=" + HUGE + "&sort=%FF%FE&format=%C0",
    "page=-1&per_page=abc&checks=bogus&state=%00&year=" + HUGE + "&access_token=x",
]
BAD_FORMS = [
    {"x": "\x00", "community": "\x00"},
    {
        "remove": "abc",
        "community": "no-such-community",
        "answer": "accept",
        "reason": "",
        "message": "m" * 20000,
        "action": "publish",
        "key": "../x",
        "who": "@",
        "language": "xx",
        "next": "https://evil.example/",
        "user": HUGE,
        "role": "god",
        "ids": "abc",
        "scopes": "everything",
    },
    {"community": "stockholm-ai", "user": "1", "ids": ["1", "x"], "answer": "decline", "role": "curator"},
]
BAD_JSON = [
    "{",
    "[" * 1000 + "]" * 1000,
    json.dumps({"metadata": [], "doi": 5, "communities": "x", "key": None, "reason": ["r"], "ids": "abc"}),
    json.dumps({"metadata": {"creators": "x" * 10}, "accept_declaration": "yes", "body": {"a": 1}}),
    json.dumps(
        {"ids": [HUGE], "community": "\u0000", "size": -1, "key": "\u0000/../a", "checksum": "md5:zz"}
    ),
]


def url_patterns() -> list[tuple[str, str]]:
    """(route text with converters, kind) for every pattern; regex patterns are written out."""
    found: list[tuple[str, str]] = []

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            text = _route_text(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + text)
            elif isinstance(entry, URLPattern):
                found.append((prefix + text, "admin" if prefix.startswith("admin/") else "site"))

    walk(get_resolver().url_patterns, "")
    return found


def _route_text(pattern) -> str:
    if not isinstance(pattern, RegexPattern):
        return str(pattern)
    text = pattern.regex.pattern.lstrip("^").rstrip("$").replace("\\Z", "")
    # named groups become converters; alternatives keep their first choice
    text = re.sub(
        r"\(\?P<(\w+)>([^)]*)\)", lambda m: f"<{'str' if '|' not in m[2] else 'choice'}:{m[1]}={m[2]}>", text
    )
    return text


class Cast:
    def __init__(self, users: dict, ints: list[int], slug: str) -> None:
        self.users = users
        self.ints = ints
        self.slug = slug
        self.clients: dict[str, Client] = {}
        for role in ("anonymous", *users):
            self.login(role)

    def login(self, role: str) -> None:
        client = Client(raise_request_exception=False)
        if role != "anonymous":
            client.force_login(self.users[role])
        self.clients[role] = client

    def valid(self, converter: str, name: str, index: int) -> str:
        if converter == "int":
            return str(self.ints[index % len(self.ints)])
        if converter == "slug":
            return self.slug
        if converter == "uuid":
            return "00000000-0000-0000-0000-000000000000"
        if converter.startswith("choice"):
            return name.split("=", 1)[1].split("|")[0]
        return "x"

    def bad(self, converter: str, index: int) -> str:
        if converter == "int":
            return [HUGE, "0"][index % 2]
        if converter == "slug":
            return ["-", "s" * 2100][index % 2]
        if converter == "uuid":
            return "ffffffff-ffff-ffff-ffff-ffffffffffff"
        if converter == "path":
            return BAD_PATH[index % len(BAD_PATH)]
        return BAD_TEXT[index % len(BAD_TEXT)]


def build(route: str, value_for) -> str:
    def replace(match: re.Match) -> str:
        converter = match["converter"] or "str"
        name = match["name"]
        if "=" in name:  # a regex pattern's named group
            converter = "choice" if "|" in name else "str"
        return quote(value_for(converter, name), safe="/")

    return "/" + CONVERTER_RE.sub(replace, route)


def requests_for(route: str, kind: str, cast: Cast):
    """(role, method, url, body, content type) to send, sampled deterministically."""
    roles = ["anonymous", "depositor", "curator", "staff"]
    if kind == "admin":
        roles = ["anonymous", "staff"]
    turn = itertools.cycle(roles)
    has_params = bool(CONVERTER_RE.search(route))
    for index, role in enumerate(roles):
        yield role, "get", build(route, lambda c, n, i=index: cast.valid(c, n, i)), None, None
    variants = range(6 if kind == "site" else 2) if has_params else range(1)
    for index in variants:
        url = build(route, lambda c, n, i=index: cast.bad(c, i) if has_params else cast.valid(c, n, i))
        yield next(turn), "get", url, None, None
    valid = build(route, lambda c, n: cast.valid(c, n, 0))
    for query in BAD_QUERIES if kind == "site" else BAD_QUERIES[:1]:
        yield next(turn), "get", f"{valid}?{query}", None, None
    # bodies go to the valid path as every role: only a party gets past the permission checks
    for role in roles:
        for form in BAD_FORMS if kind == "site" else BAD_FORMS[:1]:
            yield role, "post", valid, form, None
        if kind == "site":
            for body in BAD_JSON:
                yield role, "post", valid, body, "application/json"
    if kind == "site" and route.startswith("api/"):
        for method, body in (("put", BAD_JSON[2]), ("patch", BAD_JSON[3]), ("delete", BAD_JSON[0])):
            for role in roles:
                yield role, method, valid, body, "application/json"


@pytest.fixture
def cast(depositor, curator, staff, community, settings):
    # the crawl tests answers, not limits: thousands of requests from one address stay unthrottled
    # (an OAI-PMH 503 with Retry-After would otherwise read as a server error)
    settings.RATELIMIT_ENABLE = False
    settings.AXES_ENABLED = False
    published = services.publish(services.create_draft(depositor, make_metadata()), depositor)
    draft = services.create_draft(depositor, make_metadata(title="A draft"))
    req = curation_services.request_inclusion(depositor, published, community)
    return Cast(
        {"depositor": depositor, "curator": curator, "staff": staff},
        [published.pk, draft.pk, req.pk, curator.pk],
        community.slug,
    )


def test_no_url_answers_a_server_error(cast):
    failures = []
    count = 0
    for route, kind in url_patterns():
        for role, method, url, body, content_type in requests_for(route, kind, cast):
            client = cast.clients[role]
            kwargs = {"content_type": content_type} if content_type else {}
            response = (
                getattr(client, method)(url, body, **kwargs)
                if body is not None
                else getattr(client, method)(url)
            )
            count += 1
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {role} {method.upper()} {url[:200]!r}")
            if getattr(response, "streaming", False):
                # read to the end: the test client closes the response (and leaves the test's
                # database connection alone) once its content is consumed
                b"".join(response.streaming_content)
            if "logout" in url or "password" in url or "setlang" in url:
                cast.login(role)
    assert count > 1000
    assert not failures, "\n".join(failures)
