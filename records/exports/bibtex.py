"""BibTeX entry of a record (UTF-8; biblatex types ``@dataset``/``@software`` where BibTeX has none)."""

from __future__ import annotations

import re

from .base import (
    THESIS_LEVELS,
    ExportRecord,
    as_export_record,
    ascii_slug,
    date_parts,
    language_name,
    thesis_level,
)
from .registry import TEXT, ExportFormat, register

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL_RE = re.compile("|".join(re.escape(c) for c in _SPECIAL))


def escape(value: str) -> str:
    """Escape LaTeX specials and fold whitespace; the result is safe inside ``{…}``.

    Braces become ``\\{``/``\\}`` in pairs, so the value stays brace-balanced for BibTeX even
    when the input's braces are not (an unbalanced one is dropped).
    """
    text = " ".join(value.split())
    text = _balance_braces(text)
    return _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group(0)], text)


def _balance_braces(text: str) -> str:
    out, depth = [], 0
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                continue
            depth -= 1
        out.append(char)
    result = "".join(out)
    while depth:  # drop unmatched opening braces, last first
        index = result.rfind("{")
        result = result[:index] + result[index + 1 :]
        depth -= 1
    return result


def entry_type(rec: ExportRecord) -> str:
    level = thesis_level(rec.metadata)
    return THESIS_LEVELS[level][2] if level else rec.resource_type.bibtex


def citation_key(rec: ExportRecord) -> str:
    first = rec.creators[0] if rec.creators else {}
    family = first.get("family_name") or (first.get("name", "").split(",")[0])
    return "_".join(part for part in (ascii_slug(family) or "record", rec.year, str(rec.id)) if part)


def _name(person: dict) -> str:
    if person.get("type") == "organizational":
        return "{" + escape(person.get("name", "")) + "}"
    if person.get("family_name"):
        given = person.get("given_name", "")
        return escape(person["family_name"] + (f", {given}" if given else ""))
    return escape(person.get("name", ""))


def to_bibtex(record, *, max_authors: int | None = None) -> str:
    """One BibTeX entry, ending with a newline. ``max_authors`` (a page's inline citation): the first
    ones, then BibTeX's ``and others``; the export itself lists every creator."""
    rec = as_export_record(record)
    kind = entry_type(rec)
    fields = [*_people_and_titles(rec, max_authors), _publisher_field(rec, kind), *_details(rec, kind)]
    lines = [f"@{kind}{{{citation_key(rec)},"]
    for name, value in fields:
        if value:
            # ``month`` is a macro, unbraced; everything else is a braced value.
            lines.append(f"  {name:<12} = {value}," if name == "month" else f"  {name:<12} = {{{value}}},")
    lines[-1] = lines[-1].rstrip(",")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _people_and_titles(rec: ExportRecord, max_authors: int | None = None) -> list[tuple[str, str]]:
    editors = [p for p in rec.contributors if p.get("role") == "Editor"]
    subtitle = next(
        (
            t.get("title", "")
            for t in rec.metadata.get("additional_titles") or []
            if t.get("type") == "subtitle"
        ),
        "",
    )
    authors = [_name(p) for p in rec.creators[:max_authors]]
    if max_authors is not None and len(rec.creators) > max_authors:
        authors.append("others")
    return [
        ("author", " and ".join(authors)),
        ("editor", " and ".join(_name(p) for p in editors)),
        ("title", "{" + escape(rec.title) + "}"),
        ("subtitle", escape(subtitle)),
    ]


def _publisher_field(rec: ExportRecord, kind: str) -> tuple[str, str]:
    publisher = escape(rec.publisher)
    if kind == "techreport":
        return ("institution", publisher)
    if kind in ("phdthesis", "mastersthesis", "thesis"):
        affiliations = (rec.creators[0].get("affiliations") or []) if rec.creators else []
        return ("school", escape(affiliations[0]["name"]) if affiliations else publisher)
    return ("publisher", publisher)


def _details(rec: ExportRecord, kind: str) -> list[tuple[str, str]]:
    md = rec.metadata
    parts = date_parts(rec.publication_date)
    return [
        ("year", rec.year),
        ("month", MONTHS[parts[1] - 1] if len(parts) >= 2 else ""),
        ("version", escape(md.get("version") or "")),
        ("doi", escape(rec.doi or "")),
        ("url", escape(rec.url)),
        ("keywords", escape(", ".join(rec.keywords))),
        ("language", escape(language_name(rec.languages[0])) if rec.languages else ""),
        ("abstract", escape(rec.description_text or "")),
        ("howpublished", escape(rec.resource_type_label) if kind == "misc" else ""),
    ]


register(
    ExportFormat(
        name="bibtex",
        label="BibTeX",
        media_type="application/x-bibtex",
        extension="bib",
        serialise=lambda record: to_bibtex(record),
        kind=TEXT,
        order=50,
    )
)
