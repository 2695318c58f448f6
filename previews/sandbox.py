"""Run ``render.py`` on one file in a child process, bounded by ``PREVIEW_TIMEOUT_S`` (wall clock)
and ``PREVIEW_MAX_MEMORY_MB`` (address space, set by the child on itself before it reads a byte)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

RENDER_SCRIPT = Path(__file__).resolve().with_name("render.py")
CANNOT = 3  # render.py's exit status for "cannot be previewed"


class RenderFailed(Exception):
    """No preview: the message says why (bad file, too slow, too much memory)."""


@dataclass
class Rendered:
    tool: str
    tool_version: str
    data: dict
    # kind → (mimetype, bytes)
    objects: dict[str, tuple[str, bytes]] = field(default_factory=dict)


def limits() -> dict:
    return {
        "timeout_s": settings.PREVIEW_TIMEOUT_S,
        "max_memory_mb": settings.PREVIEW_MAX_MEMORY_MB,
        "max_output_mb": 32,
        "max_pixels": settings.PREVIEW_MAX_PIXELS,
        "thumbnail_px": 256,
        "preview_px": 1024,
        "table_rows": settings.PREVIEW_TABLE_ROWS,
        "text_max_bytes": settings.PREVIEW_TEXT_MAX_BYTES,
        "archive_max_entries": settings.PREVIEW_ARCHIVE_MAX_ENTRIES,
        "archive_max_ratio": settings.PREVIEW_ARCHIVE_MAX_RATIO,
        "archive_min_bomb_mb": 10,
        "notebook_max_mb": settings.PREVIEW_NOTEBOOK_MAX_MB,
        "notebook_max_cells": 1000,
    }


def _environment() -> dict[str, str]:
    # one thread each, and the system allocator: arenas reserved up front would count against the cap
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LC_ALL": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "ARROW_DEFAULT_MEMORY_POOL": "system",
        "MALLOC_ARENA_MAX": "2",
        "ARROW_IO_THREADS": "1",
    }


def render(source: Path, renderer: str) -> Rendered:
    """The derivatives of ``source`` (read only) made by ``renderer``; ``RenderFailed`` if none."""
    with tempfile.TemporaryDirectory(prefix="preview-") as outdir:
        command = [
            sys.executable,
            "-I",
            str(RENDER_SCRIPT),
            str(source),
            outdir,
            renderer,
            json.dumps(limits()),
        ]
        try:
            done = subprocess.run(  # noqa: S603  (our own script, fixed arguments)
                command,
                capture_output=True,
                timeout=settings.PREVIEW_TIMEOUT_S,
                env=_environment(),
                cwd=outdir,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RenderFailed(f"took longer than {settings.PREVIEW_TIMEOUT_S} s")
        if done.returncode != 0:
            raise RenderFailed(_reason(done))
        return _collect(Path(outdir))


def _reason(done: subprocess.CompletedProcess) -> str:
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    last = lines[-1] if lines else ""
    if done.returncode == CANNOT:
        return last or "cannot be previewed"
    if done.returncode < 0:
        # a native library that cannot get memory under the cap may crash rather than raise
        return (
            f"stopped by signal {-done.returncode} (it needs more than {settings.PREVIEW_MAX_MEMORY_MB} MB "
            "of memory or more CPU time than allowed)"
        )
    if any(
        sign in last
        for sign in ("MemoryError", "Cannot allocate memory", "bad_alloc", "failed to map segment")
    ):
        return f"needs more than {settings.PREVIEW_MAX_MEMORY_MB} MB of memory"
    return f"renderer failed: {last[:300]}"


def _collect(outdir: Path) -> Rendered:
    result = json.loads((outdir / "result.json").read_text())
    objects = {
        item["kind"]: (item["mimetype"], (outdir / Path(item["file"]).name).read_bytes())
        for item in result.get("objects", [])
    }
    return Rendered(
        tool=str(result.get("tool", ""))[:64],
        tool_version=str(result.get("tool_version", ""))[:64],
        data=result.get("data") or {},
        objects=objects,
    )
