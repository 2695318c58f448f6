"""Each kind of derivative, made from a real file; the original is never changed."""

from __future__ import annotations

import datetime as dt
import io
import math

import pyarrow
import pyarrow.parquet
import pytest
from PIL import Image

from previews import services
from previews.models import Preview, PreviewState
from storage import services as storage_services
from tests.previews import files
from tests.previews.conftest import stored_sha256

pytestmark = pytest.mark.django_db


def objects_of(preview: Preview) -> dict[str, tuple[str, bytes]]:
    return {
        item.kind: (item.mimetype, storage_services.read_object(item.instance))
        for item in preview.derivatives.select_related("instance__location")
    }


def made(stored, key: str, data: bytes) -> tuple[Preview, dict]:
    _record, version = stored(key, data)
    before = version.instance.sha256
    preview = services.make_preview(version.pk)
    assert preview is not None
    assert preview.state == PreviewState.READY, preview.reason
    # provenance, and the original untouched
    assert preview.source_sha256 == before
    assert preview.tool and preview.tool_version and preview.finished
    version.instance.refresh_from_db()
    assert version.instance.sha256 == before == stored_sha256(version)
    assert storage_services.read_object(version.instance) == data
    return preview, objects_of(preview)


def test_image_thumbnail_and_preview_honour_exif_orientation(stored):
    preview, objects = made(stored, "photo.png", files.png_rotated())
    assert set(objects) == {"thumbnail", "preview"}
    mimetype, thumb = objects["thumbnail"]
    assert mimetype == "image/jpeg"
    with Image.open(io.BytesIO(thumb)) as image:
        assert image.format == "JPEG"
        assert image.height == 256 and image.width < image.height  # rotated: taller than wide
    with Image.open(io.BytesIO(objects["preview"][1])) as image:
        assert (image.width, image.height) == (100, 300)
    assert preview.data == {"format": "image", "width": 100, "height": 300}
    assert preview.tool == "Pillow"


def test_pdf_first_page_is_rendered(stored):
    preview, objects = made(stored, "paper.pdf", files.pdf())
    with Image.open(io.BytesIO(objects["preview"][1])) as image:
        assert (image.width, image.height) == (800, 400)  # a small page: at most 4× its size
    assert preview.data["pages"] == 2
    assert preview.tool == "pypdfium2"


def test_zip_listing_names_and_sizes(stored):
    preview, objects = made(stored, "bundle.zip", files.zip_archive())
    assert preview.data["entries"] == [{"name": "data/a.txt", "size": 50}, {"name": "data/b.csv", "size": 8}]
    html = objects["preview"][1].decode()
    assert "data/a.txt" in html and "<table" in html


def test_tar_gz_listing_names_and_sizes(stored):
    preview, _objects = made(stored, "run.tar.gz", files.tar_archive())
    assert preview.data["entries"] == [
        {"name": "run/log.txt", "size": 42},
        {"name": "run/result.bin", "size": 1000},
    ]
    assert preview.data["count"] == 2


def test_csv_table_keeps_column_names_and_types(stored):
    data = b"id,name,score\n1,alice,2.5\n2,bob,3.0\n"
    preview, objects = made(stored, "scores.csv", data)
    assert preview.data["columns"] == [
        {"name": "id", "type": "int64"},
        {"name": "name", "type": "string"},
        {"name": "score", "type": "double"},
    ]
    assert preview.data["rows"] == [[1, "alice", 2.5], [2, "bob", 3.0]]
    assert "<td>alice</td>" in objects["preview"][1].decode()
    assert services.tabular_schema(preview.version_id)["columns"][0] == {"name": "id", "type": "int64"}


def test_values_json_cannot_hold_are_kept_as_text(stored):
    table = pyarrow.table(
        {"x": [math.nan, math.inf, 1.5], "when": [dt.datetime(2024, 5, 17, 10, tzinfo=dt.UTC)] * 3}
    )
    out = io.BytesIO()
    pyarrow.parquet.write_table(table, out)
    preview, _objects = made(stored, "odd.parquet", out.getvalue())
    assert preview.data["columns"] == [
        {"name": "x", "type": "double"},
        {"name": "when", "type": "timestamp[us, tz=UTC]"},
    ]
    assert preview.data["rows"] == [
        ["nan", "2024-05-17 10:00:00+00:00"],
        ["inf", "2024-05-17 10:00:00+00:00"],
        [1.5, "2024-05-17 10:00:00+00:00"],
    ]


def test_tsv_table(stored):
    preview, _objects = made(stored, "words.tsv", b"word\tcount\nhej\t3\n")
    assert preview.data["columns"] == [{"name": "word", "type": "string"}, {"name": "count", "type": "int64"}]


def test_tabular_schemas_of_many_versions_in_one_query(stored, django_assert_num_queries):
    table, _objects = made(stored, "words.tsv", b"word\tcount\nhej\t3\n")
    image, _objects = made(stored, "a.zip", files.zip_archive())
    broken = services.make_preview(stored("broken.jsonl", b"{not json\n")[1].pk)
    assert broken is not None and broken.state == PreviewState.FAILED
    _record, unpreviewed = stored("later.csv", b"a\n1\n")
    ids = [table.version_id, image.version_id, broken.version_id, unpreviewed.pk]
    with django_assert_num_queries(1):
        schemas = services.tabular_schemas(ids)
    assert list(schemas) == [table.version_id]
    assert schemas[table.version_id]["format"] == "tsv"
    assert schemas[table.version_id]["columns"] == [
        {"name": "word", "type": "string"},
        {"name": "count", "type": "int64"},
    ]
    assert services.tabular_schema(table.version_id) == schemas[table.version_id]
    assert services.tabular_schema(image.version_id) is None


def test_csv_preview_shows_only_the_first_rows(stored, settings):
    settings.PREVIEW_TABLE_ROWS = 5
    data = b"n\n" + b"".join(b"%d\n" % i for i in range(100))
    preview, _objects = made(stored, "many.csv", data)
    assert preview.data["rows"] == [[0], [1], [2], [3], [4]]
    assert preview.data["truncated"] is True


def test_parquet_schema_and_first_rows(stored):
    preview, objects = made(stored, "weather.parquet", files.parquet())
    schema = services.tabular_schema(preview.version_id)
    assert schema["format"] == "parquet"
    assert schema["columns"] == [
        {"name": "station", "type": "string"},
        {"name": "temp", "type": "double"},
        {"name": "year", "type": "int64"},
    ]
    assert schema["rows"][0] == ["Abisko", -3.5, 2020]
    assert schema["row_count"] == 3
    assert "Kiruna" in objects["preview"][1].decode()


def test_json_lines_table(stored):
    preview, _objects = made(stored, "words.jsonl", files.jsonl())
    assert preview.data["columns"] == [
        {"name": "id", "type": "int64"},
        {"name": "word", "type": "string"},
        {"name": "ok", "type": "bool"},
    ]
    assert preview.data["rows"][1] == [2, "tack", False]


def test_notebook_is_rendered_without_scripts(stored):
    preview, objects = made(stored, "analysis.ipynb", files.notebook())
    html = objects["preview"][1].decode()
    assert "<h1>Analysis</h1>" in html
    assert "hello from the notebook" in html
    assert "<b>bold output</b>" in html
    assert "<script" not in html and "alert(" not in html
    assert preview.data["cells"] == 2


def test_markdown_raw_html_is_stripped(stored):
    data = b'# Read me\n\n<script>alert(1)</script>\n\n<a href="javascript:alert(2)">x</a> *fine*\n'
    _preview, objects = made(stored, "README.md", data)
    html = objects["preview"][1].decode()
    assert "<h1>Read me</h1>" in html and "<em>fine</em>" in html
    assert "<script" not in html and "javascript:" not in html and "alert(1)" not in html


def test_text_is_escaped(stored):
    _preview, objects = made(stored, "notes.txt", b"a < b & <script>x</script>\n")
    html = objects["preview"][1].decode()
    assert "a &lt; b &amp; &lt;script&gt;" in html


def test_a_format_without_preview_gets_no_row(stored):
    _record, version = stored("blob.bin", b"\x00\x01")
    assert services.make_preview(version.pk) is None
    assert not Preview.objects.exists()


def test_running_twice_makes_the_derivatives_once(stored):
    _record, version = stored("photo.png", files.png_rotated())
    first = services.make_preview(version.pk)
    second = services.make_preview(version.pk)
    assert first.pk == second.pk
    assert second.derivatives.count() == 2


def test_versions_without_preview_are_found_by_the_sweep(stored):
    _record, version = stored("scores.csv", b"a\n1\n")
    _other, _skipped = stored("blob.bin", b"\x00")
    assert services.sweep_previews() == [version.pk]
    services.make_preview(version.pk)
    assert services.sweep_previews() == []
