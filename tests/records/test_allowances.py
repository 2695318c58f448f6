"""Per-user limits across all drafts: USER_DRAFT_QUOTA_BYTES (staged bytes + unfinished uploads) and
USER_MAX_OPEN_DRAFTS, both refused before anything is stored, with a message that gives the limit."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import create_token
from records import services
from records.allowances import draft_allowance
from records.models import Record, RecordState
from storage import services as storage_services
from storage.models import FileVersion, Upload
from tests.records.conftest import make_metadata
from tests.storage.conftest import stored_files

LIMIT = 10_000  # "10 kB"


@pytest.fixture
def small_allowance(settings):
    settings.USER_DRAFT_QUOTA_BYTES = LIMIT


@pytest.fixture
def primary_root(settings):
    from storage.backends.local import local_root

    return local_root(settings.STORAGE_LOCATIONS[0][1])


def writer_for(user):
    _token, secret = create_token(user, "test", ["deposit:write", "deposit:actions"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def start_upload(client, record, key, size):
    return client.post(f"/api/v1/records/{record.pk}/uploads", {"key": key, "size": size}, format="json")


def put(client, record, key, data):
    return client.put(
        f"/api/v1/records/{record.pk}/files/{key}", data, content_type="application/octet-stream"
    )


def test_the_allowance_spans_all_drafts_and_refuses_before_any_byte(small_allowance, depositor, primary_root):
    first = services.create_draft(depositor, make_metadata())
    second = services.create_draft(depositor, make_metadata())
    client = writer_for(depositor)
    assert put(client, first, "a.bin", b"a" * 6_000).status_code == 201
    assert start_upload(client, first, "b.bin", 3_000).status_code == 201  # unfinished uploads count too
    before = stored_files(primary_root)
    uploads = Upload.objects.count()

    response = start_upload(client, second, "c.bin", 2_000)
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "quota_exceeded" and body["scope"] == "user"
    assert (body["limit"], body["used"], body["size"]) == (LIMIT, 9_000, 2_000)
    assert "10 kB" in body["message"] and "9 kB" in body["message"]

    response = put(client, second, "c.bin", b"c" * 2_000)  # the streaming PUT: same refusal, nothing read
    assert response.status_code == 413 and response.json()["limit"] == LIMIT
    assert stored_files(primary_root) == before
    assert Upload.objects.count() == uploads
    assert not FileVersion.objects.filter(file__bucket=second.bucket).exists()

    assert start_upload(client, second, "c.bin", 1_000).status_code == 201  # exactly at the allowance


def test_replacing_a_staged_file_counts_only_the_new_bytes(small_allowance, depositor):
    draft = services.create_draft(depositor, make_metadata())
    client = writer_for(depositor)
    assert put(client, draft, "a.bin", b"a" * 8_000).status_code == 201
    assert put(client, draft, "a.bin", b"b" * 9_000).status_code == 201
    assert put(client, draft, "other.bin", b"c" * 2_000).status_code == 413


def test_published_files_and_other_users_drafts_do_not_count(small_allowance, depositor, outsider):
    draft = services.create_draft(depositor, make_metadata())
    storage_services.store_bytes(draft.bucket, "big.bin", b"x" * 9_000, depositor)
    services.publish(draft, depositor, declaration_accepted=True)
    theirs = services.create_draft(outsider, make_metadata())
    storage_services.store_bytes(theirs.bucket, "theirs.bin", b"y" * 9_000, outsider)

    fresh = services.create_draft(depositor, make_metadata())
    client = writer_for(depositor)
    assert put(client, fresh, "new.bin", b"z" * 9_000).status_code == 201

    # an edit draft's staged bytes count: 9,000 already staged in the fresh draft
    record = Record.objects.get(pk=draft.pk)
    services.open_edit(record, depositor)
    response = put(client, record, "extra.bin", b"e" * 2_000)
    assert response.status_code == 413 and response.json()["used"] == 9_000


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_cannot_both_take_the_last_room(settings, depositor):
    settings.USER_DRAFT_QUOTA_BYTES = LIMIT
    drafts = [services.create_draft(depositor, make_metadata()) for _ in range(4)]
    barrier = threading.Barrier(len(drafts))
    outcomes: list[object] = [None] * len(drafts)

    def start(index):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = storage_services.create_upload(
                drafts[index].bucket,
                "half.bin",
                6_000,
                depositor,
                allowance=draft_allowance(drafts[index]),
            )
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(i,)) for i in range(len(drafts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(isinstance(o, Upload) for o in outcomes) == 1, outcomes
    assert all(isinstance(o, Upload | storage_services.QuotaExceeded) for o in outcomes), outcomes
    assert Upload.objects.count() == 1


def test_open_drafts_are_capped_per_user(settings, depositor, outsider, client_for):
    settings.USER_MAX_OPEN_DRAFTS = 2
    client = writer_for(depositor)
    for _ in range(2):
        assert (
            client.post(
                "/api/v1/records", {"metadata": {"title": "Work in progress"}}, format="json"
            ).status_code
            == 201
        )
    response = client.post("/api/v1/records", {"metadata": {"title": "One draft too many"}}, format="json")
    assert response.status_code == 409
    assert "limit is 2" in response.json()["message"]
    assert Record.objects.filter(owner=depositor).count() == 2

    web = client_for(depositor)
    response = web.get("/uploads/new/")
    assert response.status_code == 302 and response["Location"] == "/uploads/"
    response = web.post("/uploads/new/", {"title": "From the form", "action": "save"}, follow=True)
    assert "limit is 2" in response.content.decode()
    assert Record.objects.filter(owner=depositor).count() == 2

    # other users are not affected; publishing a draft frees a place
    assert (
        writer_for(outsider)
        .post("/api/v1/records", {"metadata": {"title": "Work in progress"}}, format="json")
        .status_code
        == 201
    )
    draft = Record.objects.filter(owner=depositor).first()
    draft.metadata = make_metadata()
    draft.save(update_fields=["metadata"])
    services.publish(draft, depositor, declaration_accepted=True)
    assert Record.objects.get(pk=draft.pk).state == RecordState.PUBLISHED
    assert (
        client.post("/api/v1/records", {"metadata": {"title": "Work in progress"}}, format="json").status_code
        == 201
    )


def test_a_granted_quota_request_raises_the_owners_allowance_as_far_as_needed(
    small_allowance, depositor, staff, settings
):
    from audit.models import AuditEntry
    from records import withdrawals

    settings.RECORD_QUOTA_BYTES = 5_000

    record = services.create_draft(depositor, make_metadata())
    other = services.create_draft(depositor, make_metadata())
    client = writer_for(depositor)
    assert put(client, other, "kept.bin", b"k" * 2_000).status_code == 201
    refused = put(client, record, "big.bin", b"b" * 12_000)
    assert refused.status_code == 413
    item = withdrawals.request_quota(record, depositor, 20_000, "A large simulation output.")
    withdrawals.approve_quota(item, staff)
    depositor.refresh_from_db()
    # room for the granted 20 kB beside the 2 kB the other draft already holds
    assert depositor.draft_allowance_bytes() == 22_000
    assert put(client, record, "big.bin", b"b" * 12_000).status_code == 201
    entry = AuditEntry.objects.get(verb="raise_draft_allowance", object_id=str(depositor.pk))
    assert entry.actor == staff and entry.before == {"bytes": LIMIT} and entry.after == {"bytes": 22_000}
    # a smaller grant later never lowers it (12 kB staged elsewhere + 6 kB < 22 kB)
    again = withdrawals.request_quota(other, depositor, 6_000, "More room here too.")
    withdrawals.approve_quota(again, staff)
    depositor.refresh_from_db()
    assert depositor.draft_allowance_bytes() == 22_000
