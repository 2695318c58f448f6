"""S3 locations against moto's standalone server (a real HTTP endpoint): S3 as the primary location
(the single streaming PUT and the resumable chunked protocol), Range and presigned downloads, an
unreachable service, and S3 as a replica that the fixity check verifies and repairs."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import urllib.request

import pytest
from django.core import mail

from repository.loopback import free_port
from storage import hashstate, services, streams
from storage.backends.s3 import MIN_PART, TAIL_SUFFIX, S3Backend
from storage.models import FileInstance, FileVersion, FixityCheck, ReplicaState, Upload
from tests.storage.conftest import md5_hex, sha256_hex
from tests.storage.test_upload_api import create, patch

MiB = 1024 * 1024
STAFF = "desk@repository.example.org"


def _s3_settings(settings, endpoint: str) -> None:
    settings.S3_ENDPOINT_URL = endpoint
    settings.AWS_ACCESS_KEY_ID = "testing"
    settings.AWS_SECRET_ACCESS_KEY = "testing"
    settings.AWS_REGION = "us-east-1"
    settings.S3_ADDRESSING_STYLE = "path"
    settings.S3_CONNECT_TIMEOUT = 2


@pytest.fixture
def s3_primary(settings, s3_bucket):
    """S3 is the primary location, a local folder the replica; yields (boto3 client, bucket)."""
    endpoint, bucket, client = s3_bucket
    _s3_settings(settings, endpoint)
    local = dict(settings.STORAGE_LOCATIONS)
    settings.STORAGE_LOCATIONS = [("s3", f"s3://{bucket}/objects"), ("replica", local["replica"])]
    return client, bucket


@pytest.fixture
def s3_replica(settings, s3_bucket):
    """A local primary and an S3 replica ("offsite"); yields (boto3 client, bucket)."""
    endpoint, bucket, client = s3_bucket
    _s3_settings(settings, endpoint)
    local = dict(settings.STORAGE_LOCATIONS)
    settings.STORAGE_LOCATIONS = [("primary", local["primary"]), ("offsite", f"s3://{bucket}")]
    settings.STAFF_EMAILS = [STAFF]
    return client, bucket


def _keys(client, bucket) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def _open_multipart(client, bucket) -> list[str]:
    return [u["Key"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


def _object(client, bucket, key) -> bytes:
    return client.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_s3_primary_single_put_streams_into_parts_then_range_download(
    draft, depositor, client_for, s3_primary
):
    client, bucket = s3_primary
    data = os.urandom(2 * MIB_PART() + 3 * MiB + 123)  # two full parts and a short last one
    web = client_for(depositor)
    response = web.put(
        f"/api/v1/records/{draft.pk}/files/big.bin",
        data,
        content_type="application/octet-stream",
    )
    assert response.status_code == 201, response.content
    assert response.json()["sha256"] == "sha256:" + sha256_hex(data)
    instance = FileVersion.objects.get().instance
    assert instance.location.name == "s3" and instance.md5 == "md5:" + md5_hex(data)
    assert _keys(client, bucket) == [f"objects/{instance.path}"]  # no held tail left behind
    assert _open_multipart(client, bucket) == []
    assert _object(client, bucket, f"objects/{instance.path}") == data

    download = web.get(f"/records/{draft.pk}/files/big.bin", headers={"Range": "bytes=9000000-9000099"})
    assert download.status_code == 206
    assert download["Content-Range"] == f"bytes 9000000-9000099/{len(data)}"
    assert b"".join(download.streaming_content) == data[9_000_000:9_000_100]
    whole = web.get(f"/records/{draft.pk}/files/big.bin")
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == data


def MIB_PART() -> int:  # the part size the backend uses with the default settings
    from storage.backends.s3 import _part_bytes

    return _part_bytes()


def test_s3_primary_chunked_protocol_holds_small_chunks_resumes_and_finishes_without_reading(
    draft, depositor, client_for, s3_primary, monkeypatch
):
    client, bucket = s3_primary
    reads = []
    real_feed = streams.feed_file
    monkeypatch.setattr(streams, "feed_file", lambda *a: reads.append(a[2:]) or real_feed(*a))
    data = os.urandom(14 * MiB + 777)
    web = client_for(depositor)
    response = create(web, draft, "chunked.bin", len(data))
    assert response.status_code == 201
    upload_id = response.json()["id"]
    key = "objects/" + Upload.objects.get(pk=upload_id).path

    # A 3 MiB chunk is below S3's 5 MiB minimum part: it is held, not yet a part.
    assert patch(web, upload_id, 0, data[: 3 * MiB]).status_code == 204
    assert _keys(client, bucket) == [key + TAIL_SUFFIX]
    assert _object(client, bucket, key + TAIL_SUFFIX) == data[: 3 * MiB]

    # The next chunk's connection dies after 2 MiB of the promised 4 MiB: what arrived is kept.
    upload = services.write_chunk(
        Upload.objects.get(pk=upload_id), 3 * MiB, io.BytesIO(data[3 * MiB : 5 * MiB]).read, 4 * MiB
    )
    assert upload.offset == 5 * MiB
    # The uploader asks where to go on (HEAD), a stale retry gets 409, then it resumes.
    assert web.head(f"/api/v1/uploads/{upload_id}")["Upload-Offset"] == str(5 * MiB)
    stale = patch(web, upload_id, 3 * MiB, data[3 * MiB : 6 * MiB])
    assert stale.status_code == 409 and stale.json()["offset"] == 5 * MiB
    assert patch(web, upload_id, 5 * MiB, data[5 * MiB : 9 * MiB]).status_code == 204
    parts = client.list_parts(Bucket=bucket, Key=key, UploadId=_upload_ids(client, bucket, key)[0])["Parts"]
    assert sum(p["Size"] for p in parts) + len(_object(client, bucket, key + TAIL_SUFFIX)) == 9 * MiB
    assert all(p["Size"] >= MIN_PART for p in parts)
    for start in range(9 * MiB, len(data), 4 * MiB):
        assert patch(web, upload_id, start, data[start : start + 4 * MiB]).status_code == 204

    # Nothing is visible under the key before the finish.
    assert key not in _keys(client, bucket)
    response = web.post(
        f"/api/v1/uploads/{upload_id}/finish", {"sha256": sha256_hex(data)}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["md5"] == "md5:" + md5_hex(data)
    assert reads == []  # the hash state came along with the chunks: nothing was read back
    assert _keys(client, bucket) == [key] and _open_multipart(client, bucket) == []
    assert _object(client, bucket, key) == data
    download = web.get(response.json()["download"], headers={"Range": "bytes=-1000"})
    assert download.status_code == 206 and b"".join(download.streaming_content) == data[-1000:]


def _upload_ids(client, bucket, key) -> list[str]:
    return [
        u["UploadId"]
        for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        if u["Key"] == key
    ]


def test_a_small_file_through_the_chunked_protocol_on_s3(draft, depositor, s3_primary):
    client, bucket = s3_primary
    data = b"tiny"
    upload = services.create_upload(draft.bucket, "tiny.txt", len(data), depositor)
    services.write_chunk(upload, 0, io.BytesIO(data).read, len(data))
    version = services.finish_upload(Upload.objects.get(pk=upload.pk), depositor, md5=md5_hex(data))
    assert _object(client, bucket, "objects/" + version.instance.path) == data
    empty = services.store_bytes(draft.bucket, "empty.txt", b"", depositor)
    assert _object(client, bucket, "objects/" + empty.instance.path) == b""
    assert _open_multipart(client, bucket) == []


def test_unreachable_s3_primary_answers_503_and_stores_nothing(
    draft, depositor, client_for, s3_primary, settings
):
    settings.S3_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    web = client_for(depositor)
    response = web.put(
        f"/api/v1/records/{draft.pk}/files/a.bin", b"x" * 1000, content_type="application/octet-stream"
    )
    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert "cannot be reached" in response.json()["message"]
    response = create(web, draft, "b.bin", 1000)
    assert response.status_code == 503 and response.json()["code"] == "storage_unavailable"
    assert not Upload.objects.exists() and not FileVersion.objects.exists()


def test_a_part_lost_mid_stream_aborts_the_multipart_upload(
    draft, depositor, client_for, s3_primary, monkeypatch
):
    import botocore.exceptions

    from storage.backends import s3

    client, bucket = s3_primary
    real = s3._PartWriter._upload_part
    sent = []

    def flaky(self, number, part):
        if sent:
            raise botocore.exceptions.EndpointConnectionError(endpoint_url="http://s3.example.org")
        sent.append(number)
        real(self, number, part)

    monkeypatch.setattr(s3._PartWriter, "_upload_part", flaky)
    data = os.urandom(3 * MIB_PART())
    response = client_for(depositor).put(
        f"/api/v1/records/{draft.pk}/files/lost.bin", data, content_type="application/octet-stream"
    )
    assert response.status_code == 503 and response.json()["code"] == "storage_unavailable"
    assert sent == [1]
    assert _open_multipart(client, bucket) == [] and _keys(client, bucket) == []
    assert not Upload.objects.exists() and not FileVersion.objects.exists()


def test_a_chunk_while_s3_is_away_is_refused_and_the_upload_goes_on_later(
    draft, depositor, client_for, s3_primary, settings
):
    data = os.urandom(2 * MiB)
    web = client_for(depositor)
    upload_id = create(web, draft, "later.bin", len(data)).json()["id"]
    assert patch(web, upload_id, 0, data[:MiB]).status_code == 204
    endpoint = settings.S3_ENDPOINT_URL
    settings.S3_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    response = patch(web, upload_id, MiB, data[MiB:])
    assert response.status_code == 503 and response.json()["offset"] == MiB
    settings.S3_ENDPOINT_URL = endpoint
    assert patch(web, upload_id, MiB, data[MiB:]).status_code == 204
    response = web.post(
        f"/api/v1/uploads/{upload_id}/finish", {"md5": md5_hex(data)}, content_type="application/json"
    )
    assert response.status_code == 201, response.content


def test_presigned_downloads_redirect_to_s3(draft, depositor, client_for, s3_primary, settings):
    settings.S3_PRESIGNED_DOWNLOADS = True
    settings.S3_PRESIGN_SECONDS = 60
    data = b"presigned bytes " * 1000
    services.store_bytes(draft.bucket, "report.txt", data, depositor)
    response = client_for(depositor).get(f"/records/{draft.pk}/files/report.txt")
    assert response.status_code == 302
    assert response["Location"].startswith(settings.S3_ENDPOINT_URL) and "Expires=" in response["Location"]
    assert "response-content-disposition=inline" in response["Location"]  # S3 sends the file's name
    with urllib.request.urlopen(response["Location"], timeout=30) as answer:  # noqa: S310  (http from the test)
        assert answer.read() == data
    request = urllib.request.Request(response["Location"], headers={"Range": "bytes=16-31"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        assert answer.status == 206 and answer.read() == data[16:32]


def test_replica_copied_to_s3_verified_and_a_flipped_byte_repaired_from_the_local_copy(
    draft, depositor, publish, django_capture_on_commit_callbacks, s3_replica
):
    client, bucket = s3_replica
    data = os.urandom(300_000)
    with django_capture_on_commit_callbacks(execute=True):  # the copy is made by tasks run on commit
        version = services.store_bytes(draft.bucket, "data.bin", data, depositor)
        publish(draft, depositor)
    instance = FileInstance.objects.get(pk=version.instance_id)
    replica = instance.replicas.select_related("location").get()
    assert (replica.location.name, replica.state) == ("offsite", ReplicaState.VERIFIED)
    assert _object(client, bucket, replica.path) == data
    FixityCheck.objects.all().delete()
    mail.outbox.clear()

    flipped = bytearray(data)
    flipped[1234] ^= 0x40
    client.put_object(Bucket=bucket, Key=replica.path, Body=bytes(flipped))  # through the S3 API
    with django_capture_on_commit_callbacks(execute=True):  # the staff e-mail is queued on commit
        outcome = services.check_fixity(instance)
    assert outcome.found == {"primary": True, "offsite": False}
    history = [
        (c.location.name, c.result) for c in FixityCheck.objects.filter(instance=instance).order_by("pk")
    ]
    assert history[:3] == [("primary", "ok"), ("offsite", "mismatch"), ("offsite", "repaired")]
    assert ("offsite", "ok") in history[3:]
    assert _object(client, bucket, replica.path) == data
    replica.refresh_from_db()
    assert replica.state == ReplicaState.VERIFIED
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [STAFF]


def test_s3_backend_reports_a_missing_object_as_absent(s3_replica):
    _client, bucket = s3_replica
    backend = S3Backend(bucket, "nothing/here")
    assert backend.exists("ab/cd/none/data") is False


def test_hash_states_continue_in_another_process():
    """The saved state is the whole state: a new interpreter finishes what this one began."""
    data = os.urandom(3 * MiB + 5)
    digests = streams.Digests.resumable()
    assert digests is not None
    digests.update(data[:MiB])
    saved = digests.saved_state(MiB)
    assert saved is not None and hashstate.load(saved, MiB + 1) is None  # a state is tied to its offset
    script = (
        "import sys; from storage import streams\n"
        "saved = bytes.fromhex(sys.argv[1]); rest = sys.stdin.buffer.read()\n"
        f"d = streams.Digests.resumable(saved, {MiB}); d.update(rest); print(*d.result())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, saved.hex()],
        input=data[MiB:],
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert result.stdout.decode().split() == ["md5:" + md5_hex(data), "sha256:" + sha256_hex(data)]


def test_a_part_sized_chunk_costs_one_s3_request_and_a_lost_note_is_found_again(draft, depositor, s3_primary):
    """The upload's row carries the multipart upload's id, parts and held tail (``backend_state``):
    a chunk that fills whole parts sends them and nothing else. Without the note, the session is
    found again from what S3 holds."""
    client, bucket = s3_primary
    part = MIB_PART()
    data = os.urandom(3 * part + 1000)
    upload = services.create_upload(draft.bucket, "parts.bin", len(data), depositor)
    calls = []
    events = S3Backend(bucket).client().meta.events

    def count(event_name, **kwargs):
        calls.append(event_name.rsplit(".", 1)[-1])

    events.register("before-call.s3", count)
    try:
        services.write_chunk(Upload.objects.get(pk=upload.pk), 0, io.BytesIO(data[:part]).read, part)
        assert calls == ["UploadPart"]
        calls.clear()
        Upload.objects.filter(pk=upload.pk).update(backend_state="")  # the note is lost
        services.write_chunk(
            Upload.objects.get(pk=upload.pk), part, io.BytesIO(data[part:]).read, len(data) - part
        )
        assert "ListMultipartUploads" in calls and "ListParts" in calls  # found again from S3
        assert calls.count("UploadPart") == 2 and "PutObject" in calls  # two parts, 1000 bytes held
    finally:
        events.unregister("before-call.s3", count)
    version = services.finish_upload(Upload.objects.get(pk=upload.pk), depositor, sha256=sha256_hex(data))
    assert _object(client, bucket, "objects/" + version.instance.path) == data
