"""Small real files of every previewable format, made in the test (and a few bad ones)."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile

import pyarrow
import pyarrow.parquet
import pypdfium2 as pdfium
from PIL import Image


def png_rotated() -> bytes:
    """300 × 100 pixels, with EXIF orientation 6 (shown rotated: 100 wide, 300 high)."""
    image = Image.new("RGB", (300, 100), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, "PNG", exif=exif)
    return out.getvalue()


def pdf() -> bytes:
    document = pdfium.PdfDocument.new()
    document.new_page(200, 100)
    document.new_page(200, 100)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def minimal_pdf(*, encrypted: bool) -> bytes:
    """A hand-written one-page PDF; ``encrypted`` adds a standard security handler with a password."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>",
    ]
    if encrypted:
        objects.append(
            b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -44 >>"
        )
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objects) + 1)
    if encrypted:
        trailer += b" /Encrypt 4 0 R /ID [<" + b"ab" * 16 + b"> <" + b"ab" * 16 + b">]"
    out.write(b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data/a.txt", "alpha" * 10)
        archive.writestr("data/b.csv", "x,y\n1,2\n")
    return out.getvalue()


def tar_archive() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, payload in [("run/log.txt", b"hello\n" * 7), ("run/result.bin", b"\x00" * 1000)]:
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    return out.getvalue()


def zip_bomb(megabytes: int = 20) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("zeros.bin", "w") as member,
    ):
        block = b"\x00" * (1 << 20)
        for _ in range(megabytes):
            member.write(block)
    return out.getvalue()


def tar_bomb(megabytes: int = 20) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        info = tarfile.TarInfo("zeros.bin")
        info.size = megabytes << 20
        archive.addfile(info, io.BytesIO(b"\x00" * info.size))
    return gzip.compress(raw.getvalue(), compresslevel=9)


def pixel_bomb() -> bytes:
    """A small PNG that claims 144 million pixels."""
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, "PNG", optimize=True)
    return out.getvalue()


def large_png() -> bytes:
    """5000 × 5000 pixels of one colour: a small file that decodes to 75 MB."""
    out = io.BytesIO()
    Image.new("RGB", (5000, 5000), (10, 200, 30)).save(out, "PNG")
    return out.getvalue()


def corrupt_png() -> bytes:
    return png_rotated()[:60]


def parquet() -> bytes:
    table = pyarrow.table(
        {"station": ["Abisko", "Kiruna", "Lund"], "temp": [-3.5, -7.25, 4.0], "year": [2020, 2021, 2022]}
    )
    out = io.BytesIO()
    pyarrow.parquet.write_table(table, out)
    return out.getvalue()


def jsonl() -> bytes:
    rows = [{"id": 1, "word": "hej", "ok": True}, {"id": 2, "word": "tack", "ok": False}]
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def notebook() -> bytes:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Analysis\n", "<script>alert('md')</script>"]},
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": 1,
            "source": ["print('hello from the notebook')"],
            "outputs": [
                {"output_type": "stream", "name": "stdout", "text": ["hello from the notebook\n"]},
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"text/html": ["<b>bold output</b><script>alert('out')</script>"]},
                },
            ],
        },
    ]
    document = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"language": "python"}},
        "cells": cells,
    }
    return json.dumps(document).encode()
