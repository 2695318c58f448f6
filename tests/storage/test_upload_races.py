"""Retried, duplicated and concurrent chunks never cut or overwrite bytes already received, and
finishing answers 4xx, never 500: threads behind a barrier against the real PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import os
import threading

import pytest
from django.db import connection

from storage import services
from storage.models import FileVersion, Upload
from tests.storage.conftest import sha256_hex

CHUNK = 256 * 1024
THREADS = 6


def file_of(upload: Upload):
    return upload.location.backend().local_path(upload.path)


def fresh(upload: Upload) -> Upload:
    return Upload.objects.select_related("location").get(pk=upload.pk)


def slow_reader(data: bytes, piece: int = 4096):
    """A request body that arrives in small pieces (the lock is held the whole time)."""
    source = io.BytesIO(data)

    def read(size: int = -1) -> bytes:
        return source.read(min(piece, size) if size and size > 0 else piece)

    return read


def test_a_retried_chunk_with_a_stale_offset_never_cuts_stored_bytes(draft, depositor):
    data = os.urandom(3 * CHUNK)
    upload = services.create_upload(draft.bucket, "retried.bin", len(data), depositor)
    stale = fresh(upload)  # a retry loaded the upload before the first attempt's answer came back
    services.write_chunk(fresh(upload), 0, io.BytesIO(data[:CHUNK]).read, CHUNK)

    with pytest.raises(services.WrongOffset) as refused:
        services.write_chunk(stale, 0, io.BytesIO(b"\0" * CHUNK).read, CHUNK)
    assert refused.value.details["offset"] == CHUNK
    assert file_of(upload).read_bytes() == data[:CHUNK]  # nothing truncated, nothing overwritten

    services.write_chunk(fresh(upload), CHUNK, io.BytesIO(data[CHUNK:]).read, 2 * CHUNK)
    version = services.finish_upload(fresh(upload), depositor)
    assert version.instance.sha256 == "sha256:" + sha256_hex(data)


def run_together(jobs):
    """Run each job in its own thread, all released at once by a barrier; returns their outcomes."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[object] = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = job()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_and_stale_chunks_keep_every_byte(draft, depositor):
    data = os.urandom(4 * CHUNK + 123)
    upload = services.create_upload(draft.bucket, "raced.bin", len(data), depositor)
    offset = 0
    rounds = 0
    while offset < len(data):
        rounds += 1
        assert rounds < 200, "the upload never advanced"
        end = min(offset + CHUNK, len(data))
        chunk = data[offset:end]

        def duplicate(start=offset, chunk=chunk):
            return services.write_chunk(fresh(upload), start, slow_reader(chunk), len(chunk))

        def stale_retry(start=offset):
            # an earlier attempt of the previous chunk, retried with other bytes and an old offset
            previous = max(0, start - CHUNK)
            old = fresh(upload)
            old.offset = previous
            garbage = os.urandom(start - previous or CHUNK)
            return services.write_chunk(old, previous, slow_reader(garbage), len(garbage))

        stale = 2 if offset else 0  # the first chunk has no earlier one to retry
        outcomes = run_together([duplicate] * (THREADS - stale) + [stale_retry] * stale)
        for outcome in outcomes:
            assert isinstance(outcome, Upload | services.UploadBusy | services.WrongOffset), repr(outcome)
        assert sum(isinstance(outcome, Upload) for outcome in outcomes) <= 1
        assert not any(isinstance(outcome, Upload) for outcome in outcomes[THREADS - stale :]), (
            "a stale retry was written over received bytes"
        )
        offset = fresh(upload).offset
        assert file_of(upload).read_bytes()[:offset] == data[:offset]

    assert hashlib.sha256(file_of(upload).read_bytes()).hexdigest() == sha256_hex(data)
    version = services.finish_upload(fresh(upload), depositor)
    assert version.instance.sha256 == "sha256:" + sha256_hex(data)


@pytest.mark.django_db(transaction=True)
def test_concurrent_finishes_store_one_file_and_answer_409(draft, depositor, client_for):
    data = os.urandom(CHUNK)
    upload = services.create_upload(draft.bucket, "finished.bin", len(data), depositor)
    services.write_chunk(fresh(upload), 0, io.BytesIO(data).read, len(data))
    url = f"/api/v1/uploads/{upload.pk}/finish"

    def finish():
        response = client_for(depositor).post(url)
        return response.status_code, response.json()

    outcomes = run_together([finish] * 4)
    statuses = sorted(status for status, _body in outcomes)  # type: ignore[misc]
    assert statuses == [201, 409, 409, 409], outcomes
    assert FileVersion.objects.filter(file__key="finished.bin").count() == 1
    for status, body in outcomes:  # type: ignore[misc]
        if status == 409:
            assert body["code"] in {"busy", "finished"} and body["message"]
    again = client_for(depositor).post(url)
    assert again.status_code == 409 and again.json()["code"] == "finished"
    assert "finished.bin" in again.json()["message"]


def test_finishing_while_a_chunk_is_written_answers_409_and_keeps_the_upload(draft, depositor, client_for):
    data = os.urandom(2 * CHUNK)
    upload = services.create_upload(draft.bucket, "busy.bin", len(data), depositor)
    services.write_chunk(fresh(upload), 0, io.BytesIO(data).read, len(data))
    client = client_for(depositor)
    url = f"/api/v1/uploads/{upload.pk}/finish"
    with upload.location.backend().resume_upload(upload.path).hold():  # a writer still holds the lock
        response = client.post(url)
    assert response.status_code == 409 and response.json()["code"] == "busy"
    assert response["Retry-After"] == "1"
    assert fresh(upload).state == "active" and file_of(upload).read_bytes() == data
    response = client.post(url)
    assert response.status_code == 201
    assert response.json()["sha256"] == "sha256:" + sha256_hex(data)


def test_finishing_an_upload_whose_bytes_were_lost_is_a_4xx(draft, depositor, client_for):
    data = os.urandom(CHUNK)
    upload = services.create_upload(draft.bucket, "lost.bin", len(data), depositor)
    services.write_chunk(fresh(upload), 0, io.BytesIO(data).read, len(data))
    with open(file_of(upload), "r+b") as handle:  # the disk lost the tail
        handle.truncate(100)
    response = client_for(depositor).post(f"/api/v1/uploads/{upload.pk}/finish")
    assert response.status_code == 404
    assert "lost" in response.json()["message"]
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert not FileVersion.objects.exists()
