"""BibTeX entry of a record (UTF-8; biblatex types ``@dataset``/``@software`` where BibTeX has none)."""

from __future__ import annotations

import re

from .base import ExportRecord, as_export_record, ascii_slug, date_parts, language_name
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
    return rec.resource_type.bibtex


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


def to_bibtex(record) -> str:
    """One BibTeX entry, ending with a newline."""
    rec = as_export_record(record)
    md = rec.metadata
    kind = entry_type(rec)
    parts = date_parts(rec.publication_date)
    fields: list[tuple[str, str]] = []
    if rec.creators:
        fields.append(("author", " and ".join(_name(p) for p in rec.creators)))
    editors = [p for p in rec.contributors if p.get("role") == "Editor"]
    if editors:
        fields.append(("editor", " and ".join(_name(p) for p in editors)))
    fields.append(("title", "{" + escape(rec.title) + "}"))
    subtitle = next(
        (t.get("title", "") for t in md.get("additional_titles") or [] if t.get("type") == "subtitle"), ""
    )
    if subtitle:
        fields.append(("subtitle", escape(subtitle)))
    publisher = escape(rec.publisher)
    if kind == "techreport":
        fields.append(("institution", publisher))
    elif kind == "phdthesis":
        affiliations = (rec.creators[0].get("affiliations") or []) if rec.creators else []
        fields.append(("school", escape(affiliations[0]["name"]) if affiliations else publisher))
    else:
        fields.append(("publisher", publisher))
    fields.append(("year", rec.year))
    if len(parts) >= 2:
        fields.append(("month", MONTHS[parts[1] - 1]))
    if md.get("version"):
        fields.append(("version", escape(md["version"])))
    if rec.doi:
        fields.append(("doi", escape(rec.doi)))
    fields.append(("url", escape(rec.url)))
    if rec.keywords:
        fields.append(("keywords", escape(", ".join(rec.keywords))))
    if rec.languages:
        fields.append(("language", escape(language_name(rec.languages[0]))))
    if rec.description_text:
        fields.append(("abstract", escape(rec.description_text)))
    if kind == "misc":
        fields.append(("howpublished", escape(rec.resource_type_label)))
    lines = [f"@{kind}{{{citation_key(rec)},"]
    for name, value in fields:
        if value:
            # ``month`` is a macro, unbraced; everything else is a braced value.
            lines.append(f"  {name:<12} = {value}," if name == "month" else f"  {name:<12} = {{{value}}},")
    lines[-1] = lines[-1].rstrip(",")
    lines.append("}")
    return "\n".join(lines) + "\n"


register(
    ExportFormat(
        name="bibtex", label="BibTeX", media_type="application/x-bibtex", extension="bib",
        serialise=lambda record: to_bibtex(record), kind=TEXT, order=50,
    )
)  # fmt: skip
