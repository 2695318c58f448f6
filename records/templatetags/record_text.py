"""Filters for record lists: a description snippet that keeps its paragraphs."""

from __future__ import annotations

import html
import re

from django import template

register = template.Library()

BLOCK_END_RE = re.compile(r"</(?:p|li|h[1-6]|blockquote|pre|div)\s*>|<br\s*/?>", re.IGNORECASE)
TAG_RE = re.compile(r"<[^>]+>")


@register.filter
def snippet_paragraphs(description: str, words: int = 40) -> list[str]:
    """The description's first ``words`` words as plain-text paragraphs (not run together)."""
    paragraphs = []
    left = int(words)
    for block in BLOCK_END_RE.split(description or ""):
        text = " ".join(html.unescape(TAG_RE.sub(" ", block)).split())
        if not text or left <= 0:
            continue
        tokens = text.split()
        if len(tokens) > left:
            text = " ".join(tokens[:left]) + " …"
        left -= len(tokens)
        paragraphs.append(text)
    return paragraphs
