"""A file that cannot be previewed gets no preview and a failed row that says why, within the
configured time and memory, and is not tried again."""

from __future__ import annotations

import pytest

from previews import services, tasks
from previews.models import Preview, PreviewObject, PreviewState
from storage.models import FileInstance
from tests.previews import files
from tests.previews.conftest import stored_sha256

pytestmark = pytest.mark.django_db


def refused(stored, key: str, data: bytes) -> Preview:
    _record, version = stored(key, data)
    instances = FileInstance.objects.count()
    # through the task, as the worker runs it: it ends (no retry) with a failed preview
    assert tasks.make_preview_task.apply(args=[version.pk]).get() == PreviewState.FAILED
    preview = Preview.objects.get(version=version)
    assert preview.state == PreviewState.FAILED and preview.reason and preview.finished
    assert not PreviewObject.objects.exists()
    assert FileInstance.objects.count() == instances  # nothing stored
    assert stored_sha256(version) == version.instance.sha256
    # asked again (a duplicate delivery, the sweep): the same row, not run again
    assert services.make_preview(version.pk).pk == preview.pk
    preview.refresh_from_db()
    assert preview.attempts == 1
    assert services.sweep_previews() == []
    return preview


def test_corrupt_image(stored):
    preview = refused(stored, "broken.png", files.corrupt_png())
    assert "not a readable image" in preview.reason


def test_decompression_bomb_image(stored):
    preview = refused(stored, "huge.png", files.pixel_bomb())
    assert "too many pixels" in preview.reason


def test_encrypted_pdf(stored):
    preview = refused(stored, "secret.pdf", files.minimal_pdf(encrypted=True))
    assert "password" in preview.reason.lower()


def test_the_same_pdf_unencrypted_is_previewed(stored):
    _record, version = stored("open.pdf", files.minimal_pdf(encrypted=False))
    assert services.make_preview(version.pk).state == PreviewState.READY


def test_zip_bomb(stored):
    preview = refused(stored, "bomb.zip", files.zip_bomb())
    assert "ZIP bomb" in preview.reason


def test_compressed_tar_bomb(stored):
    preview = refused(stored, "bomb.tar.gz", files.tar_bomb())
    assert "TAR bomb" in preview.reason


def test_csv_with_a_huge_first_line(stored, settings):
    settings.PREVIEW_TEXT_MAX_BYTES = 64 * 1024
    preview = refused(stored, "wide.csv", b"a," * (100 * 1024) + b"\n1\n")
    assert "first line is longer" in preview.reason


def test_jsonl_that_is_not_json(stored):
    preview = refused(stored, "bad.jsonl", b'{"a": 1}\n{not json\n')
    assert "JSON lines" in preview.reason


def test_notebook_that_is_not_json(stored):
    preview = refused(stored, "bad.ipynb", b"{ nope")
    assert "not a Jupyter notebook" in preview.reason


def test_binary_text_file(stored):
    preview = refused(stored, "data.txt", b"\x00\x01\x02" * 100)
    assert "binary" in preview.reason


def test_the_time_limit_is_enforced(stored, settings):
    settings.PREVIEW_TIMEOUT_S = 0.01  # shorter than starting the child at all
    preview = refused(stored, "scores.csv", b"a,b\n1,2\n")
    assert preview.reason == "took longer than 0.01 s"


def test_the_memory_limit_is_enforced(stored, settings):
    # the image decodes to 75 MB of pixels (from a file of 84 KB): more than the whole cap
    settings.PREVIEW_MAX_MEMORY_MB = 64
    preview = refused(stored, "large.png", files.large_png())
    assert "more than 64 MB of memory" in preview.reason


def test_a_file_over_the_size_limit_is_not_read(stored, settings):
    settings.PREVIEW_MAX_SOURCE_MB = 0
    preview = refused(stored, "scores.csv", b"a\n1\n")
    assert preview.reason == "larger than 0 MB"


def test_the_same_large_image_is_previewed_with_the_default_memory(stored):
    _record, version = stored("large.png", files.large_png())
    assert services.make_preview(version.pk).state == PreviewState.READY


def test_a_cap_too_small_for_the_table_reader_is_named_as_memory(stored, settings):
    settings.PREVIEW_MAX_MEMORY_MB = 100  # below what pyarrow needs to load at all (it may crash)
    preview = refused(stored, "scores.csv", b"a,b\n1,2\n")
    assert "more than 100 MB of memory" in preview.reason
