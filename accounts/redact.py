"""``?access_token=`` is a secret: it is never echoed in links, redirects or logs."""

from __future__ import annotations

import re

# the value of access_token in a query string or a URL, however it is escaped
_TOKEN_IN_QUERY = re.compile(r"(?i)((?:^|[?&;]|%3F|%26)access(?:_|%5F)token(?:=|%3D))[^&;#\s\"]*")


def redact_token(text: str) -> str:
    """``text`` with every ``access_token`` value replaced by ``[redacted]``."""
    if not text or "token" not in text.lower():
        return text
    return _TOKEN_IN_QUERY.sub(r"\1[redacted]", text)


def without_token(querydict):
    """A mutable copy of a ``QueryDict`` without ``access_token`` (for links built from a request)."""
    query = querydict.copy()
    query.pop("access_token", None)
    return query


def strip_token_from_url(url: str) -> str:
    """``url`` without its ``access_token`` parameter, also inside a ``next=`` that carries a URL."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    if "token" not in parts.query.lower():
        return url
    pairs = [
        (key, strip_token_from_url(value))
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() != "access_token"
    ]
    return urlunsplit(parts._replace(query=urlencode(pairs)))
