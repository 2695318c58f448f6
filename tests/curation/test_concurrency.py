"""Two curators accept the same request at the same moment, on PostgreSQL, with separate connections."""

import threading
import time

import pytest
from django.core import mail
from django.db import connection

from audit.models import AuditEntry
from curation import services
from curation.models import InclusionRequest, Notification
from records.models import CommunityRecord


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_accepts_make_one_transition(
    make_record, depositor, curator, community, owner_user, monkeypatch
):
    assert connection.vendor == "postgresql"
    second_curator = owner_user(community, "secondcurator")
    record = make_record(depositor)
    req = services.request_inclusion(depositor, record, community)
    mail.outbox.clear()

    # Hold the row lock a little longer inside the winning transaction so the two really overlap.
    original = services.records_services.add_to_community

    def slow_membership(*args, **kwargs):
        time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(services.records_services, "add_to_community", slow_membership)

    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def decide(user):
        try:
            fresh = InclusionRequest.objects.select_related("record", "community").get(pk=req.pk)
            barrier.wait(timeout=10)
            results[user.username] = services.accept(user, fresh)
        except Exception as exc:
            results[user.username] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(u,)) for u in (curator, second_curator)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    outcomes = list(results.values())
    winners = [o for o in outcomes if isinstance(o, InclusionRequest)]
    losers = [o for o in outcomes if isinstance(o, services.AlreadyDecided)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert "already been decided" in losers[0].message
    req.refresh_from_db()
    assert req.state == "accepted"
    assert AuditEntry.objects.filter(verb="accept", object_id=str(req.pk)).count() == 1
    assert CommunityRecord.objects.filter(record=record, community=community).count() == 1
    assert Notification.objects.filter(event="accepted").count() == 1
    decision_mails = [m for m in mail.outbox if m.subject.startswith("Accepted into")]
    assert len(decision_mails) == 1
    assert decision_mails[0].to == [depositor.email]
