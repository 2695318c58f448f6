"""The columns of a table from its first rows: CSV/TSV, Parquet and JSON lines.

A small, self-contained reader (the previews of the derivatives issue will read the same files;
this one can then give way to theirs): :func:`table_format` says whether a file name is a table
this module reads, :func:`read_columns` returns ``[{"name", "type"}]`` with Croissant data types
(``sc:Integer``, ``sc:Float``, ``sc:Boolean``, ``sc:Text``). Text formats are read from their first
``max_bytes`` only (the last, maybe cut, line is dropped); Parquet's schema comes from its footer
through ranged reads, however large the file.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
from collections.abc import Callable

TEXT = "sc:Text"
INTEGER = "sc:Integer"
FLOAT = "sc:Float"
BOOLEAN = "sc:Boolean"

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
# Croissant's encodingFormat of each (mlcroissant reads these).
ENCODING_FORMATS = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "parquet": "application/x-parquet",
    "jsonl": "application/jsonlines",
}

# read(start, length) -> bytes of the stored file
RangeRead = Callable[[int, int], bytes]


class NotATable(Exception):
    """The bytes could not be read as the table their name promises."""


def table_format(key: str) -> str | None:
    """``csv``, ``tsv``, ``parquet`` or ``jsonl`` from a file name; None for anything else."""
    return FORMATS.get(posixpath.splitext(key.lower())[1])


def read_columns(fmt: str, read: RangeRead, size: int, *, max_bytes: int, max_rows: int) -> list[dict]:
    """The columns of the table: names and Croissant types, in file order."""
    if fmt == "parquet":
        return _parquet_columns(read, size)
    head = read(0, min(size, max_bytes))
    if size > max_bytes:
        head = head[: head.rfind(b"\n") + 1]  # a cut last line would mislead the types
    text = head.decode("utf-8-sig", errors="replace")
    if fmt == "jsonl":
        return _jsonl_columns(text, max_rows)
    return _delimited_columns(text, "\t" if fmt == "tsv" else ",", max_rows)


def _delimited_columns(text: str, delimiter: str, max_rows: int) -> list[dict]:
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(rows, None)
    if not header or not any(name.strip() for name in header):
        raise NotATable("no header row")
    samples: list[list[str]] = [[] for _ in header]
    for count, row in enumerate(rows):
        if count >= max_rows:
            break
        for index, value in enumerate(row[: len(header)]):
            samples[index].append(value)
    return [{"name": name, "type": _text_type(values)} for name, values in zip(header, samples, strict=True)]


def _text_type(values: list[str]) -> str:
    present = [v.strip() for v in values if v.strip()]
    if not present:
        return TEXT
    missing = len(present) < len(values)
    if not missing and all(_is_int(v) for v in present):
        return INTEGER
    if all(_is_float(v) for v in present):
        return FLOAT  # integers with gaps too: readers turn the gaps into NaN
    if not missing and all(v.lower() in ("true", "false") for v in present):
        return BOOLEAN
    return TEXT


def _is_int(value: str) -> bool:
    try:
        int(value)
    except ValueError:
        return False
    return True


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return value.lower() not in ("nan", "inf", "-inf", "infinity", "-infinity")


def _jsonl_columns(text: str, max_rows: int) -> list[dict]:
    columns: dict[str, list] = {}
    for count, line in enumerate(text.splitlines()):
        if count >= max_rows:
            break
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise NotATable(f"line {count + 1} is not JSON")
        if not isinstance(row, dict):
            raise NotATable(f"line {count + 1} is not a JSON object")
        for name, value in row.items():
            columns.setdefault(name, []).append(value)
    if not columns:
        raise NotATable("no JSON objects")
    return [{"name": name, "type": _json_type(values)} for name, values in columns.items()]


def _json_type(values: list) -> str:
    kinds = {type(v) for v in values if v is not None}
    if kinds == {bool}:
        return BOOLEAN
    if kinds == {int}:
        return INTEGER
    if kinds and kinds <= {int, float}:
        return FLOAT
    return TEXT


class RangeFile(io.RawIOBase):
    """A seekable read-only file over ranged reads of a stored object (Parquet's footer, ZIP directories)."""

    def __init__(self, read: RangeRead, size: int):
        self._read, self._size, self._pos = read, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer) -> int:
        length = min(len(buffer), self._size - self._pos)
        if length <= 0:
            return 0
        data = self._read(self._pos, length)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


def _parquet_columns(read: RangeRead, size: int) -> list[dict]:
    import pyarrow as pa  # large: imported by the worker only when it profiles Parquet
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(io.BufferedReader(RangeFile(read, size)))
    except (pa.ArrowException, OSError) as exc:
        raise NotATable(f"not a Parquet file: {exc}"[:200])
    return [{"name": f.name, "type": _arrow_type(f.type)} for f in schema]


def _arrow_type(arrow_type) -> str:
    import pyarrow.types as t

    if t.is_boolean(arrow_type):
        return BOOLEAN
    if t.is_integer(arrow_type):
        return INTEGER
    if t.is_floating(arrow_type) or t.is_decimal(arrow_type):
        return FLOAT
    return TEXT
