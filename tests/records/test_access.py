"""Access rights: open, embargoed (lifted by the beat task), restricted and closed files; the private
contact e-mail. Each test fetches the real download URLs and pages and would fail on a leak."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from records import services
from records.models import Record
from records.tasks import lift_embargoes
from tests.records.conftest import future

SECRET_BYTES = b"participant-level data: do not leak " * 10
CONTACT = "secret.contact@example.se"


def deposit(user, metadata):
    from storage.services import store_bytes

    record = services.create_draft(user, metadata)
    store_bytes(record.bucket, "data/table.csv", SECRET_BYTES, user)
    return services.publish(record, user, declaration_accepted=True)


def file_url(record):
    return reverse("storage:download", args=[record.pk, "data/table.csv"])


def fetch(client, url):
    response = client.get(url)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, content


@pytest.fixture
def viewers(client, client_for, outsider, depositor, staff):
    return {
        "anonymous": client,
        "outsider": client_for(outsider),
        "owner": client_for(depositor),
        "staff": client_for(staff),
    }


def test_open_files_are_public(viewers, depositor, valid_metadata):
    record = deposit(depositor, valid_metadata)
    for name, client in viewers.items():
        status, body = fetch(client, file_url(record))
        assert (status, body) == (200, SECRET_BYTES), name


@pytest.mark.parametrize("access", ["restricted", "closed"])
def test_restricted_and_closed_files_only_for_owners_and_staff(viewers, depositor, valid_metadata, access):
    metadata = {**valid_metadata, "access_right": access}
    metadata.pop("license")
    if access == "restricted":
        metadata["access_conditions"] = "Write to the data protection officer with an ethics approval."
    record = deposit(depositor, metadata)
    for name in ("anonymous", "outsider"):
        client = viewers[name]
        status, body = fetch(client, file_url(record))
        assert status in (403, 404) and SECRET_BYTES not in body, name
        status, body = fetch(client, reverse("storage:download_all", args=[record.pk]))
        assert status in (403, 404) and SECRET_BYTES[:20] not in body, name
        landing = client.get(record.get_absolute_url())
        assert landing.status_code == 200  # metadata is always public
        if access == "restricted":
            assert "ethics approval" in landing.content.decode()
    for name in ("owner", "staff"):
        assert fetch(viewers[name], file_url(record)) == (200, SECRET_BYTES), name


def test_embargoed_files_open_when_the_beat_task_lifts_the_embargo(
    viewers, depositor, valid_metadata, django_capture_on_commit_callbacks
):
    from oaipmh.models import RenderedPayload
    from oaipmh.tasks import render_stale

    with django_capture_on_commit_callbacks(execute=True):
        record = deposit(
            depositor, {**valid_metadata, "access_right": "embargoed", "embargo_date": future(10)}
        )
    render_stale()  # what beat does
    payload = RenderedPayload.objects.get(record=record, prefix="oai_dc")
    assert "embargoedAccess" in payload.xml
    status, body = fetch(viewers["anonymous"], file_url(record))
    assert status in (403, 404) and SECRET_BYTES not in body
    assert fetch(viewers["owner"], file_url(record)) == (200, SECRET_BYTES)
    assert lift_embargoes() == 0  # not due yet
    # time passes: the end date is today
    today = timezone.localdate().isoformat()
    Record.objects.filter(pk=record.pk).update(metadata={**record.metadata, "embargo_date": today})
    stamp = Record.objects.get(pk=record.pk).datestamp
    with django_capture_on_commit_callbacks(execute=True):
        assert lift_embargoes() == 1
    record.refresh_from_db()
    assert record.metadata["access_right"] == "open"
    assert record.datestamp > stamp
    assert record.revisions.order_by("-number").first().summary == "Embargo lifted"
    entry = AuditEntry.objects.get(verb="lift_embargo", object_id=str(record.pk))
    assert entry.actor is None and entry.after["embargo_date"] == today
    assert fetch(viewers["anonymous"], file_url(record)) == (200, SECRET_BYTES)
    assert fetch(viewers["outsider"], reverse("storage:download_all", args=[record.pk]))[0] == 200
    # harvesters see the change: the sweep renders every OAI-PMH payload again for the new datestamp
    render_stale()
    payloads = RenderedPayload.objects.filter(record=record)
    assert payloads.count() >= 3 and {p.datestamp for p in payloads} == {record.datestamp}
    dc = payloads.get(prefix="oai_dc").xml
    assert "openAccess" in dc and "embargoedAccess" not in dc
    landing = viewers["anonymous"].get(record.get_absolute_url()).content.decode()
    assert file_url(record) in landing
    assert lift_embargoes() == 0  # idempotent


def test_embargo_lifting_is_a_beat_job():
    from repository.celery import app

    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert schedule["records-lift-embargoes"]["task"] == "records.tasks.lift_embargoes"
    assert "records.tasks.lift_embargoes" in app.tasks


def test_embargo_not_due_is_not_lifted(depositor, valid_metadata):
    record = deposit(depositor, {**valid_metadata, "access_right": "embargoed", "embargo_date": future(1)})
    assert services.lift_embargo(record) is False
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert services.lift_embargo(record, today=tomorrow) is True


def test_contact_email_never_leaks(client, client_for, outsider, depositor, valid_metadata):
    record = deposit(depositor, valid_metadata)
    assert record.metadata["contact_email"] == CONTACT
    urls = [
        record.get_absolute_url(),
        reverse("records:search") + "?q=Riksdag",
        reverse("records:api-detail", args=[record.pk]),
        reverse("records:api-list"),
        reverse("records:api-list") + "?q=speeches",
        *[
            reverse("record-export", args=[record.pk, fmt])
            for fmt in ("json", "datacite", "dc", "marcxml", "bibtex", "csl", "jsonld")
        ],
    ]
    for viewer in (client, client_for(outsider)):
        for url in urls:
            response = viewer.get(url)
            assert response.status_code == 200, url
            assert CONTACT not in response.content.decode(), url
    # the owner sees it in the API (it is theirs) and in the form
    owner = client_for(depositor)
    assert (
        json.loads(owner.get(reverse("records:api-detail", args=[record.pk])).content)["metadata"][
            "contact_email"
        ]
        == CONTACT
    )
    assert CONTACT in owner.get(reverse("records:edit", args=[record.pk])).content.decode()
    assert CONTACT not in owner.get(record.get_absolute_url()).content.decode()
