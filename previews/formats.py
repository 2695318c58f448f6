"""Which renderer (``previews/render.py``) makes the preview of a file, by its name."""

from __future__ import annotations

import posixpath

SUFFIXES = {
    "image": (".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".bmp"),
    "pdf": (".pdf",),
    "zip": (".zip",),
    "tar": (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz"),
    "csv": (".csv",),
    "tsv": (".tsv", ".tab"),
    "jsonl": (".jsonl", ".ndjson"),
    "parquet": (".parquet",),
    "notebook": (".ipynb",),
    "markdown": (".md", ".markdown"),
    "text": (
        ".txt",
        ".log",
        ".py",
        ".r",
        ".sh",
        ".yaml",
        ".yml",
        ".json",
        ".xml",
        ".cff",
        ".tex",
        ".bib",
        ".rst",
    ),
}
# Formats whose preview is a table with column names and types (``tabular_schema``).
TABULAR = {"csv", "tsv", "jsonl", "parquet"}


def renderer_for(key: str) -> str | None:
    """The renderer for a file key, or None when its format has no preview."""
    name = posixpath.basename(key).lower()
    for renderer, suffixes in SUFFIXES.items():
        if name.endswith(suffixes):
            return renderer
    return None


def all_suffixes() -> list[str]:
    return [suffix for suffixes in SUFFIXES.values() for suffix in suffixes]
