"""A formatted APA (7th edition) reference for a record: ``apa`` (plain text) and ``apa_html``.

``apa`` returns plain text (the template escapes it as usual); ``apa_html`` returns a safe HTML
string with the title in italics where APA wants it and every value escaped.
"""

from __future__ import annotations

import re

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

from .base import THESIS_LEVELS, ExportRecord, as_export_record, thesis_level


def _initials(given: str) -> str:
    """``Anna-Karin Maria`` → ``A.-K. M.``"""
    words = []
    for word in given.split():
        parts = [p for p in word.split("-") if p]
        if parts:
            words.append("-".join(p[0] + "." for p in parts))
    return " ".join(words)


def _author(person: dict) -> str:
    if person.get("type") == "organizational":
        return person.get("name", "")
    family, given = person.get("family_name", ""), person.get("given_name", "")
    if not family:
        name = person.get("name", "")
        family, _, given = (part.strip() for part in name.partition(","))
    initials = _initials(given)
    return f"{family}, {initials}" if initials else family


def authors(rec: ExportRecord) -> str:
    names = [_author(p) for p in rec.creators if _author(p)]
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    if len(names) > 20:  # APA: the first 19, an ellipsis, then the last
        return ", ".join(names[:19]) + ", . . . " + names[-1]
    return ", ".join(names[:-1]) + ", & " + names[-1]


def _parts(rec: ExportRecord) -> dict:
    md = rec.metadata
    title = rec.title.strip()
    details = []
    if md.get("version"):
        details.append(f"Version {md['version']}")
    level = thesis_level(md)
    bracket = THESIS_LEVELS[level][3] if level else rec.resource_type.apa
    return {
        "authors": authors(rec),
        "year": rec.year or "n.d.",
        "title": title,
        "details": f" ({'; '.join(details)})" if details else "",
        "bracket": f" [{bracket}]" if bracket else "",
        "publisher": rec.publisher.strip(),
        "link": rec.url,
        "italic": rec.resource_type.apa_italic,
    }


def _sentence(text: str) -> str:
    """End with one period unless the text already ends in terminal punctuation."""
    return text if re.search(r"[.?!]$", text) else text + "."


def apa(record) -> str:
    """``Family, G., & Other, A. (2024). Title (Version 1.0) [Data set]. Publisher. https://doi.org/…``"""
    p = _parts(as_export_record(record))
    head = f"{_sentence(p['authors'])} ({p['year']})." if p["authors"] else ""
    title = _sentence(f"{p['title']}{p['details']}{p['bracket']}")
    pieces = [head, title] if head else [title, f"({p['year']})."]
    if p["publisher"] and p["publisher"] != p["authors"]:
        pieces.append(_sentence(p["publisher"]))
    pieces.append(p["link"])
    return " ".join(piece for piece in pieces if piece)


def apa_html(record) -> SafeString:
    """The same reference as HTML: values escaped, the title in ``<i>`` for stand-alone works."""
    p = _parts(as_export_record(record))
    title = format_html("<i>{}</i>", p["title"]) if p["italic"] else escape(p["title"])
    trailing = escape(p["details"] + p["bracket"])
    end = "" if re.search(r"[.?!]$", p["title"] + p["details"] + p["bracket"]) else "."
    title_sentence = format_html("{}{}{}", title, trailing, end)
    head = escape(f"{_sentence(p['authors'])} ({p['year']}).") if p["authors"] else ""
    pieces = [head, title_sentence] if head else [title_sentence, escape(f"({p['year']}).")]
    if p["publisher"] and p["publisher"] != p["authors"]:
        pieces.append(escape(_sentence(p["publisher"])))
    pieces.append(format_html('<a href="{}">{}</a>', p["link"], p["link"]))
    return format_html_join(" ", "{}", ((piece,) for piece in pieces if piece))
