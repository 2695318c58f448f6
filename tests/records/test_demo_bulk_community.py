"""A large demo's community is in use too: the bulk path accepts its Stockholm-affiliated records into
Stockholm AI with the same rows the curation verbs write (request, membership, audit, inbox), and the
community page and its OAI-PMH set list them."""

from __future__ import annotations

import io

from django.core.management import call_command

from audit.models import AuditEntry
from communities.models import Community
from curation.models import InclusionRequest, Notification
from curation.rules import overall_status, run_checks
from records.models import CommunityRecord, Record, RecordState
from repository.demo import _in_stockholm
from tests.oaipmh.conftest import NS, OAI, harvest, parse_and_validate, sweep

TIMESTAMPS = {
    "id",
    "created",
    "expires_at",
    "decided_at",
    "checks_run_at",
    "added_at",
    "read_at",
    "emailed_at",
}


def _fields(obj, skip=()) -> dict:
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.attname not in TIMESTAMPS and f.attname not in skip
    }


def rows_of(record: Record, community: Community) -> dict:
    """What the curation rows of ``record``'s acceptance say, with its own ids replaced by names."""
    req = InclusionRequest.objects.get(record=record, community=community)

    def named(snapshot):
        if snapshot is None:
            return None
        assert snapshot["record"] == record.pk
        return {**snapshot, "record": "REC"}

    request = _fields(req, skip={"record_id", "checks"})
    # the checks are the record's own (its creator, its size): what the rules say about it now
    results = run_checks(record, community)
    assert req.checks == [r.as_json() for r in results] and req.checks_status == overall_status(results)
    request["checks"] = [(c["key"], c["status"]) for c in req.checks]
    membership = [_fields(link, skip={"record_id"}) for link in CommunityRecord.objects.filter(record=record)]
    audits = sorted(
        (
            {
                **_fields(e, skip={"before", "after", "object_repr", "object_id"}),  # object_id: the filter
                "before": named(e.before),
                "after": named(e.after),
                "object_repr": e.object_repr.replace(f"#{req.pk} {record.pk} ", "#REQ REC "),
            }
            for e in AuditEntry.objects.filter(object_type="curation.inclusionrequest", object_id=str(req.pk))
        ),
        key=lambda e: e["verb"],
    )
    notes = sorted(
        (_fields(n, skip={"request_id"}) for n in Notification.objects.filter(request=req)),
        key=lambda n: (n["kind"], n["user_id"]),
    )
    return {"request": request, "membership": membership, "audit": audits, "notifications": notes}


def test_bulk_demo_accepts_its_stockholm_records_like_the_verbs(
    db, client, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.SITE_URL = "http://testserver"
    monkeypatch.setattr("repository.demo.FULL_PATH", 8)  # the first 8 through the verbs, 52 in bulk
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", records=60, files_per_record=1, stdout=io.StringIO())
    community = Community.objects.get(slug="stockholm-ai")
    published = list(Record.objects.filter(state=RecordState.PUBLISHED).order_by("id"))
    assert len(published) == 60
    bulk = [r for r in published[8:] if _in_stockholm(r)]
    elsewhere = [r for r in published[8:] if not _in_stockholm(r)]
    assert len(bulk) >= 30 and elsewhere
    members = set(
        CommunityRecord.objects.current().filter(community=community).values_list("record", flat=True)
    )
    assert {r.pk for r in bulk} <= members
    assert not members & {r.pk for r in elsewhere}  # only the Stockholm-affiliated share joins
    accepted = InclusionRequest.objects.filter(community=community, state="accepted")
    assert accepted.count() == len(members)
    verb_accepted = accepted.filter(record__in=published[:8]).first()
    assert verb_accepted is not None
    expected = rows_of(verb_accepted.record, community)
    assert expected["audit"] and expected["notifications"] and expected["membership"]
    for record in bulk:
        assert rows_of(record, community) == expected, record.pk
        record.refresh_from_db()
        link = CommunityRecord.objects.get(record=record)
        # the membership gave the record a new OAI-PMH datestamp, no earlier than its publication
        assert record.datestamp == link.added_at >= record.published_at
        req = InclusionRequest.objects.get(record=record)
        assert req.created <= req.decided_at == link.added_at

    # the community page counts and finds them
    response = client.get(f"/communities/{community.slug}/")
    assert response.status_code == 200
    assert f'<span class="muted">({len(members)})</span>' in response.content.decode()
    sample = bulk[len(bulk) // 2]
    response = client.get(f"/communities/{community.slug}/", {"q": sample.doi})
    assert response.status_code == 200 and sample.metadata["title"] in response.content.decode()

    # and its OAI-PMH set includes them, with the datestamp of their acceptance
    sweep()

    def oai(**params):
        response = client.get("/oai2d", params)
        assert response.status_code == 200
        content = b"".join(response.streaming_content) if response.streaming else response.content
        return parse_and_validate(content)

    headers, _pages = harvest(oai, verb="ListIdentifiers", metadataPrefix="oai_dc", set="user-stockholm-ai")
    in_set = {h.findtext("oai:identifier", namespaces=NS).rsplit(":", 1)[-1]: h for h in headers}
    assert {str(pk) for pk in members} == set(in_set)
    header = in_set[str(sample.pk)]
    assert header.get("status") is None and header.find(f"{{{OAI}}}setSpec") is not None
