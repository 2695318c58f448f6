"""Requests nobody decides on expire after CURATION_EXPIRY_DAYS (a beat task); both sides are told."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEntry
from curation import services
from curation.models import InclusionRequest, Notification
from curation.tasks import expire_requests


def test_beat_schedule_has_the_expiry_task():
    from repository.celery import app

    app.loader.import_default_modules()
    BEAT = app.conf.beat_schedule  # one schedule, in settings (CELERY_BEAT_SCHEDULE)

    assert BEAT["curation-expire-requests"]["task"] == "curation.tasks.expire_requests"
    assert expire_requests.name == "curation.tasks.expire_requests"


def test_expiry_uses_the_setting(make_record, depositor, community, settings):
    settings.CURATION_EXPIRY_DAYS = 5
    req = services.request_inclusion(depositor, make_record(depositor), community)
    delta = req.expires_at - req.created
    assert dt.timedelta(days=5) - dt.timedelta(minutes=1) < delta <= dt.timedelta(days=5, minutes=1)


def test_due_requests_expire_and_both_sides_are_told(
    make_record, depositor, curator, community, swedish_depositor, django_capture_on_commit_callbacks
):
    due = services.request_inclusion(depositor, make_record(depositor), community)
    swedish_due = services.request_inclusion(
        swedish_depositor,
        make_record(swedish_depositor, title="Maskininlärning för medicinsk bildanalys"),
        community,
    )
    fresh = services.request_inclusion(
        depositor, make_record(depositor, title="Graph neural networks for molecules"), community
    )
    InclusionRequest.objects.filter(pk__in=[due.pk, swedish_due.pk]).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        count = expire_requests.delay().get()
    assert count == 2
    due.refresh_from_db()
    fresh.refresh_from_db()
    assert due.state == "expired" and due.decided_by is None
    assert fresh.state == "submitted"
    assert AuditEntry.objects.filter(verb="expire").count() == 2
    assert AuditEntry.objects.filter(verb="expire", actor__isnull=True).count() == 2
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([depositor.email, curator.email, swedish_depositor.email, curator.email])
    owner_mail = next(m for m in mail.outbox if m.to == [depositor.email])
    assert owner_mail.subject.startswith("Request expired")
    assert "expired without a decision" in owner_mail.body and "60 days" in owner_mail.body
    swedish_mail = next(m for m in mail.outbox if m.to == [swedish_depositor.email])
    assert swedish_mail.subject.startswith("Begäran har löpt ut")
    assert "löpte ut utan beslut" in swedish_mail.body
    assert Notification.objects.filter(kind="request_expired").count() == 4


def test_expired_request_cannot_be_decided(make_record, depositor, curator, community):
    req = services.request_inclusion(depositor, make_record(depositor), community)
    InclusionRequest.objects.filter(pk=req.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert services.expire(req) is True
    assert services.expire(req) is False  # idempotent
    with pytest.raises(services.AlreadyDecided, match="expired"):
        services.accept(curator, req)


def test_management_command_expires(make_record, depositor, community, capsys):
    req = services.request_inclusion(depositor, make_record(depositor), community)
    InclusionRequest.objects.filter(pk=req.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    call_command("expire_requests")
    assert "1 requests expired" in capsys.readouterr().out
    req.refresh_from_db()
    assert req.state == "expired"
