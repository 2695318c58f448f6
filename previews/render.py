"""Make the derivatives of one file, in a process of its own (``previews.sandbox`` starts it).

Run as a script, never imported by the portal's processes: it imports nothing of the project. It
caps its own address space and CPU time before it opens anything, reads the source only (opened
``rb``), writes the derivatives into OUTDIR and describes them in OUTDIR/result.json::

    python render.py SOURCE OUTDIR RENDERER LIMITS_JSON

A file that cannot be previewed ends the process with exit status 3 and the reason on stderr.
"""

from __future__ import annotations

import base64
import html
import importlib.metadata
import io
import json
import math
import resource
import sys
import warnings
from pathlib import Path
from typing import Any

CANNOT = 3  # exit status: the file cannot be previewed (the reason is on stderr)


class Unpreviewable(Exception):
    """The file cannot be previewed; the message says why (kept on the preview row)."""


def cap_resources(limits: dict) -> None:
    memory = int(limits["max_memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = max(1, int(limits["timeout_s"]) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    out = int(limits["max_output_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (out, out))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# --- HTML -------------------------------------------------------------------------------------

DATA_IMAGE_PREFIXES = ("data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,")


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # data: URLs only as the source of a raster image (notebook figures); never a link or SVG
    if value.strip().lower().startswith("data:"):
        return (
            value if tag == "img" and attribute == "src" and value.startswith(DATA_IMAGE_PREFIXES) else None
        )
    return value


def sanitise(fragment: str) -> str:
    import nh3

    attributes = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag in ("pre", "code", "div", "span", "table", "th", "td", "tr", "section"):
        attributes.setdefault(tag, set()).add("class")
    attributes.setdefault("th", set()).add("scope")
    return nh3.clean(
        fragment,
        tags=set(nh3.ALLOWED_TAGS) | {"section"},
        attributes=attributes,
        url_schemes={"http", "https", "mailto", "data"},
        attribute_filter=_keep_attribute,
    )


def _cell(value: Any) -> str:
    return "" if value is None else html.escape(str(value))


def table_html(columns: list[dict], rows: list[list]) -> str:
    head = "".join(
        f'<th scope="col">{html.escape(c["name"])}<br><span class="preview-type">{html.escape(c["type"])}</span></th>'
        for c in columns
    )
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table class="preview-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def json_value(value: Any) -> Any:
    """A value for the table's JSON data: numbers, booleans, strings and nulls stay; others as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or infinity
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


# --- readers ----------------------------------------------------------------------------------


def read_head(source: Path, limit: int) -> tuple[bytes, bool]:
    """The first ``limit`` bytes and whether the file goes on past them."""
    with source.open("rb") as handle:
        head = handle.read(limit + 1)
    return head[:limit], len(head) > limit


def complete_lines(source: Path, limit: int) -> tuple[bytes, bool]:
    """The complete lines among the first ``limit`` bytes; a first line longer than that is refused."""
    head, more = read_head(source, limit)
    if more:
        cut = head.rfind(b"\n")
        if cut < 0:
            raise Unpreviewable(f"the first line is longer than {limit} bytes")
        head = head[: cut + 1]
    return head, more


def decode_text(data: bytes) -> str:
    if b"\0" in data[:8192]:
        raise Unpreviewable("binary content")
    return data.decode("utf-8", errors="replace").lstrip("\ufeff")


# --- renderers --------------------------------------------------------------------------------


def _flatten_alpha(image):
    from PIL import Image

    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image, size: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((size, size))
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=85)
    return out.getvalue()


def image_outputs(image, limits: dict, data: dict) -> dict:
    data.update(width=image.width, height=image.height)
    image = _flatten_alpha(image)
    return {
        "thumbnail": ("image/jpeg", _jpeg(image, int(limits["thumbnail_px"]))),
        "preview": ("image/jpeg", _jpeg(image, int(limits["preview_px"]))),
    }


def render_image(source: Path, limits: dict) -> dict:
    import PIL
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = int(limits["max_pixels"])
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    try:
        with Image.open(source) as opened:
            opened.draft("RGB", (int(limits["preview_px"]),) * 2)  # JPEG: decode at a reduced scale
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Unpreviewable(f"too many pixels: {exc}")
    except (OSError, SyntaxError, ValueError) as exc:
        raise Unpreviewable(f"not a readable image: {exc}")
    data: dict = {"format": "image"}
    return {
        "tool": "Pillow",
        "tool_version": PIL.__version__,
        "data": data,
        **_o(image_outputs(image, limits, data)),
    }


def render_pdf(source: Path, limits: dict) -> dict:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(source))
    except pdfium.PdfiumError as exc:
        raise Unpreviewable(f"not an openable PDF: {exc}")
    pages = len(document)
    if not pages:
        raise Unpreviewable("the PDF has no pages")
    page = document[0]
    width, height = page.get_size()
    if width <= 0 or height <= 0:
        raise Unpreviewable("the first page has no size")
    scale = min(int(limits["preview_px"]) / width, int(limits["preview_px"]) / height, 4.0)
    image = page.render(scale=scale).to_pil()
    data: dict = {"format": "pdf", "pages": pages}
    version = importlib.metadata.version("pypdfium2")
    return {
        "tool": "pypdfium2",
        "tool_version": version,
        "data": data,
        **_o(image_outputs(image, limits, data)),
    }


def _listing(entries: list[dict], total: int, count: int, limits: dict, kind: str) -> dict:
    truncated = count > len(entries)
    rows = "".join(f"<tr><td>{html.escape(e['name'])}</td><td>{e['size']}</td></tr>" for e in entries)
    fragment = (
        '<table class="preview-listing"><thead><tr><th scope="col">Name</th><th scope="col">Size (bytes)</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )
    data = {"format": "listing", "archive": kind, "entries": entries, "count": count, "total_size": total}
    data["truncated"] = truncated
    return {"data": data, "objects": {"preview": ("text/html", sanitise(fragment).encode())}}


def _too_expanded(expanded: int, compressed: int, limits: dict) -> bool:
    floor = int(limits["archive_min_bomb_mb"]) * 1024 * 1024
    return expanded > floor and expanded > int(limits["archive_max_ratio"]) * max(compressed, 1)


def render_zip(source: Path, limits: dict) -> dict:
    import zipfile

    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Unpreviewable(f"not a readable ZIP archive: {exc}")
    with archive:
        infos = archive.infolist()
    total = sum(i.file_size for i in infos)
    if _too_expanded(total, source.stat().st_size, limits):
        raise Unpreviewable(f"a ZIP bomb: {total} bytes packed into {source.stat().st_size}")
    cap = int(limits["archive_max_entries"])
    entries = [{"name": i.filename, "size": i.file_size} for i in infos[:cap]]
    result = _listing(entries, total, len(infos), limits, "zip")
    return {"tool": "zipfile", "tool_version": sys.version.split()[0], **result}


class _CountingReader(io.RawIOBase):
    """The source file, counting the (compressed) bytes a tar reader has taken from it."""

    def __init__(self, handle):
        self.handle = handle
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.handle.readinto(buffer)
        self.count += n or 0
        return n


def render_tar(source: Path, limits: dict) -> dict:
    import tarfile

    cap = int(limits["archive_max_entries"])
    entries: list[dict] = []
    total = count = 0
    with source.open("rb") as raw:
        counter = _CountingReader(raw)
        try:
            with tarfile.open(fileobj=io.BufferedReader(counter), mode="r|*") as archive:
                for member in archive:
                    count += 1
                    total += member.size
                    if len(entries) < cap:
                        entries.append({"name": member.name, "size": member.size})
                    # a compressed stream is read through as the listing goes: stop a bomb early
                    if _too_expanded(archive.offset, counter.count, limits):
                        raise Unpreviewable(
                            f"a compressed TAR bomb: {archive.offset} bytes from {counter.count}"
                        )
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise Unpreviewable(f"not a readable TAR archive: {exc}")
    result = _listing(entries, total, count, limits, "tar")
    return {"tool": "tarfile", "tool_version": sys.version.split()[0], **result}


def _arrow_table_result(table, limits: dict, tool: str, extra: dict) -> dict:
    import pyarrow

    rows = int(limits["table_rows"])
    head = table.slice(0, rows)
    columns = [{"name": str(f.name), "type": str(f.type)} for f in head.schema]
    values = [[json_value(v) for v in row.values()] for row in head.to_pylist()]
    data = {"format": "table", "columns": columns, "rows": values, **extra}
    fragment = table_html(columns, values)
    return {
        "tool": tool,
        "tool_version": pyarrow.__version__,
        "data": data,
        "objects": {"preview": ("text/html", sanitise(fragment).encode())},
    }


def render_delimited(source: Path, limits: dict, delimiter: str) -> dict:
    import pyarrow
    from pyarrow import csv

    head, more = complete_lines(source, int(limits["text_max_bytes"]))
    decode_text(head)
    try:
        table = csv.read_csv(
            io.BytesIO(head),
            read_options=csv.ReadOptions(block_size=max(len(head), 1), use_threads=False),
            parse_options=csv.ParseOptions(delimiter=delimiter),
        )
    except (pyarrow.ArrowInvalid, ValueError) as exc:
        raise Unpreviewable(f"not readable as {'TSV' if delimiter == chr(9) else 'CSV'}: {exc}")
    return _arrow_table_result(
        table, limits, "pyarrow.csv", {"truncated": more or table.num_rows > int(limits["table_rows"])}
    )


def render_jsonl(source: Path, limits: dict) -> dict:
    import pyarrow
    from pyarrow import json as pajson

    head, more = complete_lines(source, int(limits["text_max_bytes"]))
    decode_text(head)
    try:
        table = pajson.read_json(
            io.BytesIO(head), read_options=pajson.ReadOptions(block_size=max(len(head), 1), use_threads=False)
        )
    except (pyarrow.ArrowInvalid, ValueError) as exc:
        raise Unpreviewable(f"not readable as JSON lines: {exc}")
    return _arrow_table_result(
        table, limits, "pyarrow.json", {"truncated": more or table.num_rows > int(limits["table_rows"])}
    )


def render_parquet(source: Path, limits: dict) -> dict:
    import pyarrow
    from pyarrow import parquet

    try:
        handle = parquet.ParquetFile(source)
        batch = next(handle.iter_batches(batch_size=int(limits["table_rows"]), use_threads=False), None)
    except (pyarrow.ArrowException, OSError, ValueError) as exc:
        raise Unpreviewable(f"not a readable Parquet file: {exc}")
    total = handle.metadata.num_rows
    table = pyarrow.Table.from_batches([batch]) if batch is not None else handle.schema_arrow.empty_table()
    return _arrow_table_result(
        table, limits, "pyarrow.parquet", {"row_count": total, "truncated": total > table.num_rows}
    )


def _markdown(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table").render(text)


def render_text(source: Path, limits: dict) -> dict:
    head, more = read_head(source, int(limits["text_max_bytes"]))
    text = decode_text(head)
    fragment = f'<pre class="preview-text">{html.escape(text)}</pre>'
    return {
        "tool": "python",
        "tool_version": sys.version.split()[0],
        "data": {"format": "text", "truncated": more},
        "objects": {"preview": ("text/html", sanitise(fragment).encode())},
    }


def render_markdown(source: Path, limits: dict) -> dict:
    import markdown_it

    head, more = read_head(source, int(limits["text_max_bytes"]))
    fragment = f'<div class="preview-markdown">{_markdown(decode_text(head))}</div>'
    return {
        "tool": "markdown-it-py",
        "tool_version": markdown_it.__version__,
        "data": {"format": "markdown", "truncated": more},
        "objects": {"preview": ("text/html", sanitise(fragment).encode())},
    }


def _text_of(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _output_html(output: dict) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return f'<pre class="preview-output">{html.escape(_text_of(output.get("text")))}</pre>'
    if kind == "error":
        return f'<pre class="preview-error">{html.escape(str(output.get("ename", "")))}: {html.escape(str(output.get("evalue", "")))}</pre>'
    bundle = output.get("data") or {}
    for mime in ("image/png", "image/jpeg"):
        if mime in bundle:
            encoded = _text_of(bundle[mime]).replace("\n", "")
            base64.b64decode(encoded, validate=True)  # refuses anything but base64
            return f'<img alt="" src="data:{mime};base64,{encoded}">'
    if "text/html" in bundle:
        return f'<div class="preview-output">{_text_of(bundle["text/html"])}</div>'
    if "text/plain" in bundle:
        return f'<pre class="preview-output">{html.escape(_text_of(bundle["text/plain"]))}</pre>'
    return ""


def render_notebook(source: Path, limits: dict) -> dict:
    """A read-only rendering of a Jupyter notebook (nbformat 4): cells and their saved outputs."""
    cap = int(limits["notebook_max_mb"]) * 1024 * 1024
    if source.stat().st_size > cap:
        raise Unpreviewable(f"the notebook is larger than {limits['notebook_max_mb']} MB")
    try:
        notebook = json.loads(source.read_bytes())
        cells = notebook["cells"]
        language = ((notebook.get("metadata") or {}).get("kernelspec") or {}).get("language", "")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Unpreviewable(f"not a Jupyter notebook: {exc}")
    parts = []
    try:
        for cell in cells[: int(limits["notebook_max_cells"])]:
            text = _text_of(cell.get("source"))
            if cell.get("cell_type") == "markdown":
                parts.append(f'<div class="preview-markdown">{_markdown(text)}</div>')
            elif cell.get("cell_type") == "code":
                parts.append(f'<pre class="preview-code"><code>{html.escape(text)}</code></pre>')
                parts.extend(_output_html(o) for o in cell.get("outputs") or [] if isinstance(o, dict))
            else:
                parts.append(f'<pre class="preview-raw">{html.escape(text)}</pre>')
    except (ValueError, TypeError, AttributeError) as exc:
        raise Unpreviewable(f"not a Jupyter notebook: {exc}")
    fragment = '<div class="preview-notebook">' + "".join(parts) + "</div>"
    return {
        "tool": "notebook renderer (markdown-it-py, nh3)",
        "tool_version": str(notebook.get("nbformat", "")),
        "data": {"format": "notebook", "cells": len(cells), "language": str(language)},
        "objects": {"preview": ("text/html", sanitise(fragment).encode())},
    }


def _o(outputs: dict) -> dict:
    return {"objects": outputs}


RENDERERS = {
    "image": render_image,
    "pdf": render_pdf,
    "zip": render_zip,
    "tar": render_tar,
    "csv": lambda s, lim: render_delimited(s, lim, ","),
    "tsv": lambda s, lim: render_delimited(s, lim, "\t"),
    "jsonl": render_jsonl,
    "parquet": render_parquet,
    "notebook": render_notebook,
    "markdown": render_markdown,
    "text": render_text,
}


def main(argv: list[str]) -> int:
    source, outdir, renderer, limits_json = Path(argv[1]), Path(argv[2]), argv[3], argv[4]
    limits = json.loads(limits_json)
    cap_resources(limits)
    try:
        result = RENDERERS[renderer](source, limits)
    except Unpreviewable as exc:
        print(str(exc).replace(str(source), "the file")[:500], file=sys.stderr)
        return CANNOT
    except MemoryError:
        print(f"needs more than {limits['max_memory_mb']} MB of memory", file=sys.stderr)
        return CANNOT
    written = []
    for kind, (mimetype, payload) in result.pop("objects").items():
        name = f"{kind}.out"
        (outdir / name).write_bytes(payload)
        written.append({"kind": kind, "mimetype": mimetype, "file": name})
    result["objects"] = written
    (outdir / "result.json").write_text(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
