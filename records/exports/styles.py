"""Citations in the common styles, rendered by citeproc-py from the record's CSL-JSON item with the CSL
styles shipped in ``records/csl/`` (from the Citation Style Language project, CC BY-SA 3.0)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from django.utils.translation import gettext_lazy as _

from .csl import to_csl

NUMBER_RE = re.compile(r"^(\[\d+\]|\d+\.)(?=\S)")
CSL_DIR = Path(__file__).resolve().parent.parent / "csl"
# name → (label, file in records/csl/)
STYLES = {
    "apa": (_("APA"), "apa.csl"),
    "harvard": (_("Harvard"), "harvard-cite-them-right.csl"),
    "ieee": (_("IEEE"), "ieee.csl"),
    "chicago": (_("Chicago (author-date)"), "chicago-author-date.csl"),
    "vancouver": (_("Vancouver"), "vancouver.csl"),
}


@functools.cache
def _style(name: str) -> CitationStylesStyle:
    return CitationStylesStyle(str(CSL_DIR / STYLES[name][1]), locale="en-US", validate=False)


def _item(record) -> dict:
    item = to_csl(record)
    # citeproc-py reads names as family/given; an organisation is given as its family name
    for variable in ("author", "editor", "translator", "contributor"):
        for name in item.get(variable) or []:
            if "literal" in name:
                name["family"] = name.pop("literal")
    return item


def render(record, name: str) -> str:
    """The bibliography entry of ``record`` in style ``name``, as HTML (citeproc-py escapes the text)."""
    item = _item(record)
    source = CiteProcJSON([item])
    bibliography = CitationStylesBibliography(_style(name), source, formatter.html)
    bibliography.register(Citation([CitationItem(item["id"])]))
    text = "".join(str(entry) for entry in bibliography.bibliography())
    return NUMBER_RE.sub(r"\1 ", text)  # "[1]Å. Lindqvist" → "[1] Å. Lindqvist"


def render_all(record) -> list[dict]:
    return [
        {"name": name, "label": label, "html": render(record, name)}
        for name, (label, _file) in STYLES.items()
    ]
