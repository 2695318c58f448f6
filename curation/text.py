"""Sanitising the conversation's messages (nh3, the maintained ammonia binding)."""

from __future__ import annotations

import html
import re

import nh3

COMMENT_TAGS = {"p", "br", "strong", "b", "em", "i", "a", "ul", "ol", "li", "code", "pre", "blockquote"}
COMMENT_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
_BLOCK = re.compile(r"<(p|ul|ol|pre|blockquote|br)\b", re.IGNORECASE)


def sanitize_comment(value: str) -> str:
    """Safe HTML for a message: a few formatting tags and http(s)/mailto links; everything else dropped.

    Plain text keeps its line breaks.
    """
    value = (value or "").replace("\r\n", "\n").strip()
    if not _BLOCK.search(value):
        value = "<br>".join(
            html.escape(line, quote=False) if "<" not in line else line for line in value.split("\n")
        )
    return nh3.clean(
        value,
        tags=COMMENT_TAGS,
        attributes=COMMENT_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    ).strip()


def plain_excerpt(value: str, limit: int = 1000) -> str:
    """The text of (sanitised) HTML, for e-mails and the inbox."""
    text = re.sub(r"<br\s*/?>|</p>|</li>", "\n", value or "", flags=re.IGNORECASE)
    text = html.unescape(nh3.clean(text, tags=set())).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
