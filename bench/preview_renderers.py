"""Previews: the time to make each kind of derivative from a file of realistic size, in its bounded child
process (``previews.sandbox.render``), against the baseline of starting that child with nothing to do.
Prints the median of each, its ratio to the baseline and the child's limits.

Usage: .venv/bin/python bench/preview_renderers.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_files(folder: Path) -> dict[str, tuple[Path, str]]:
    import pyarrow
    import pyarrow.parquet
    import pypdfium2 as pdfium
    from PIL import Image

    made = {}
    photo = folder / "photo.jpg"
    Image.effect_mandelbrot((4000, 3000), (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB").save(photo, quality=90)
    made["JPEG 4000 × 3000"] = (photo, "image")
    pdf = pdfium.PdfDocument.new()
    for _ in range(200):
        pdf.new_page(595, 842)
    pdf.save(folder / "paper.pdf")
    made["PDF, 200 pages"] = (folder / "paper.pdf", "pdf")
    with zipfile.ZipFile(folder / "many.zip", "w") as archive:
        for n in range(20_000):
            archive.writestr(f"run/{n:05d}.txt", b"x")
    made["ZIP, 20,000 entries"] = (folder / "many.zip", "zip")
    with (folder / "big.csv").open("w") as out:
        out.write("id,station,temp,when\n")
        for n in range(1_000_000):
            out.write(f"{n},Abisko,{n % 40 - 20}.5,2024-01-01T00:00:00\n")
    made["CSV, 1,000,000 rows (40 MB)"] = (folder / "big.csv", "csv")
    table = pyarrow.table({"id": list(range(2_000_000)), "value": [n * 0.5 for n in range(2_000_000)]})
    pyarrow.parquet.write_table(table, folder / "big.parquet")
    made["Parquet, 2,000,000 rows"] = (folder / "big.parquet", "parquet")
    cells = [
        {
            "cell_type": "code",
            "source": f"x = {n}\nprint(x)",
            "outputs": [{"output_type": "stream", "text": f"{n}\n"}],
        }
        for n in range(500)
    ]
    (folder / "nb.ipynb").write_text(json.dumps({"nbformat": 4, "cells": cells}))
    made["notebook, 500 cells"] = (folder / "nb.ipynb", "notebook")
    return made


def timed(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repository.settings")
    import django

    django.setup()
    from django.conf import settings

    from previews import sandbox

    baseline = timed(lambda: subprocess.run([sys.executable, "-I", "-c", "pass"], check=True), args.runs)
    print(f"limits: {settings.PREVIEW_TIMEOUT_S} s, {settings.PREVIEW_MAX_MEMORY_MB} MB")
    print(f"baseline (a bare child interpreter): {baseline * 1000:.0f} ms")
    with tempfile.TemporaryDirectory(prefix="bench-previews-") as folder:
        for label, (path, renderer) in make_files(Path(folder)).items():
            figure = timed(lambda p=path, r=renderer: sandbox.render(p, r), args.runs)
            size = path.stat().st_size / 1e6
            print(f"{label:32} {size:8.1f} MB  {figure * 1000:7.0f} ms  ×{figure / baseline:.1f}")


if __name__ == "__main__":
    main()
