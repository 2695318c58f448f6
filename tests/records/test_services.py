"""The record verbs: drafts, publish, edit drafts and revisions, withdrawal — each audited."""

from __future__ import annotations

import pytest
from django.http import Http404

from audit.models import AuditEntry
from records import services
from records.models import MetadataRevision, Record, RecordState


def verbs(record):
    return list(
        AuditEntry.objects.filter(object_type="records.record", object_id=str(record.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


def test_create_draft_is_private_and_audited(depositor, outsider, valid_metadata):
    record = services.create_draft(depositor, valid_metadata)
    assert record.state == RecordState.DRAFT and record.owner == depositor
    assert record.doi == "" and record.datestamp is None
    assert verbs(record) == ["create_draft"]
    with pytest.raises(Http404):
        services.get_record_for_user(outsider, record.pk)
    assert services.get_record_for_user(depositor, record.pk, write=True) == record


def test_create_draft_refuses_invalid_values_unless_kept(depositor):
    with pytest.raises(services.InvalidMetadata) as info:
        services.create_draft(depositor, {"publication_date": "2026-02-30"})
    assert info.value.errors[0].jsonpath == "$.publication_date"
    assert not Record.objects.exists()
    record = services.create_draft(depositor, {"publication_date": "2026-02-30"}, keep_invalid=True)
    assert record.metadata == {"publication_date": "2026-02-30"}


def test_publish_mints_local_doi_and_first_revision(
    depositor, valid_metadata, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://127.0.0.1:8000"
    record = services.create_draft(depositor, valid_metadata)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(record, depositor, declaration_accepted=True)
    record.refresh_from_db()
    assert record.state == RecordState.PUBLISHED
    assert record.doi == f"10.5072/127-0-0-1.{record.pk}"
    assert record.published_at and record.datestamp == record.published_at
    assert record.revisions.count() == 1
    assert record.revisions.get().metadata["title"] == valid_metadata["title"]
    assert verbs(record) == ["create_draft", "publish"]
    entry = AuditEntry.objects.get(verb="publish", object_id=str(record.pk))
    assert entry.after["declaration_accepted"] is True and entry.actor == depositor


def test_publish_refuses_incomplete_metadata(depositor):
    record = services.create_draft(depositor, {"title": "Only a title"})
    with pytest.raises(services.InvalidMetadata) as info:
        services.publish(record, depositor)
    assert "$.creators" in {e.jsonpath for e in info.value.errors}
    record.refresh_from_db()
    assert record.state == RecordState.DRAFT and record.doi == ""


def test_published_record_changes_only_through_an_edit_draft(published, depositor, valid_metadata):
    with pytest.raises(services.InvalidState):
        services.update_metadata(published, depositor, {**valid_metadata, "title": "Changed directly"})
    doi, first_stamp = published.doi, published.datestamp
    services.open_edit(published, depositor)
    services.update_metadata(published, depositor, {**valid_metadata, "title": "A better title"})
    published.refresh_from_db()
    assert published.metadata["title"] == valid_metadata["title"]  # public view unchanged
    assert published.draft_metadata["title"] == "A better title"
    services.publish(published, depositor)
    published.refresh_from_db()
    assert published.metadata["title"] == "A better title"
    assert published.draft_metadata is None
    assert published.doi == doi and published.datestamp > first_stamp
    titles = list(published.revisions.order_by("number").values_list("metadata__title", flat=True))
    assert titles == [valid_metadata["title"], "A better title"]


def test_discard_edit_drops_staged_metadata(published, depositor, valid_metadata):
    services.open_edit(published, depositor)
    services.update_metadata(published, depositor, {**valid_metadata, "title": "Never published"})
    services.discard_edit(published, depositor)
    published.refresh_from_db()
    assert published.draft_metadata is None
    assert published.metadata["title"] == valid_metadata["title"]
    assert published.revisions.count() == 1
    assert verbs(published)[-3:] == ["open_edit", "update_metadata", "discard_edit"]
    with pytest.raises(services.InvalidState):
        services.discard_edit(published, depositor)


def test_open_edit_twice_continues_the_same_draft(published, depositor, valid_metadata):
    services.open_edit(published, depositor)
    services.update_metadata(published, depositor, {**valid_metadata, "title": "Work in progress"})
    services.open_edit(published, depositor)
    published.refresh_from_db()
    assert published.draft_metadata["title"] == "Work in progress"


def test_someone_elses_edit_draft_is_404(published, outsider, depositor):
    services.open_edit(published, depositor)
    assert services.get_record_for_user(outsider, published.pk) == published  # the public page
    with pytest.raises(Http404):
        services.get_record_for_user(outsider, published.pk, write=True)


def test_withdraw_and_reinstate_keep_id_and_doi(published, staff):
    doi = published.doi
    with pytest.raises(services.RecordError):
        services.withdraw(published, staff, "  ")
    services.withdraw(published, staff, "Copyright claim upheld")
    published.refresh_from_db()
    assert (
        published.state == RecordState.WITHDRAWN and published.withdrawal_reason == "Copyright claim upheld"
    )
    assert published.doi == doi
    stamp = published.datestamp
    services.reinstate(published, staff, "Claim withdrawn")
    published.refresh_from_db()
    assert published.state == RecordState.PUBLISHED and published.doi == doi and published.datestamp > stamp
    assert verbs(published)[-2:] == ["withdraw", "reinstate"]
    assert AuditEntry.objects.get(verb="withdraw").reason == "Copyright claim upheld"


def test_delete_draft_only_before_publication(depositor, published, valid_metadata):
    draft = services.create_draft(depositor, valid_metadata)
    services.delete_draft(draft, depositor)
    assert not Record.objects.filter(pk=draft.pk).exists()
    with pytest.raises(services.InvalidState):
        services.delete_draft(published, depositor)


def test_external_doi_is_kept_and_not_minted(depositor, valid_metadata):
    record = services.create_draft(depositor, valid_metadata, external_doi="https://doi.org/10.1000/xyz.123")
    services.publish(record, depositor)
    record.refresh_from_db()
    assert record.doi == "10.1000/xyz.123" and record.doi_is_external
    with pytest.raises(services.InvalidMetadata) as info:
        services.create_draft(depositor, valid_metadata, external_doi="10.1000/xyz.123")
    assert info.value.errors[0].path == ("doi",)
    with pytest.raises(services.InvalidMetadata):
        services.create_draft(depositor, valid_metadata, external_doi="not-a-doi")


def test_requested_communities_are_stored_and_checked(depositor, community, valid_metadata):
    record = services.create_draft(depositor, valid_metadata, communities=["stockholm-ai"])
    assert record.requested_communities == ["stockholm-ai"]
    with pytest.raises(services.InvalidMetadata):
        services.create_draft(depositor, valid_metadata, communities=["no-such-community"])


def test_publish_leaves_the_oai_payloads_to_the_sweep(
    depositor, valid_metadata, django_capture_on_commit_callbacks
):
    """Records never call up into OAI-PMH: publishing gives a datestamp, and OAI-PMH's sweep pulls."""
    from oaipmh.models import RenderedPayload
    from oaipmh.services import stale_record_ids
    from oaipmh.tasks import render_stale

    record = services.create_draft(depositor, valid_metadata)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(record, depositor)
    assert not RenderedPayload.objects.filter(record=record).exists()
    assert render_stale() == 1
    assert RenderedPayload.objects.filter(record=record).exists()
    assert record.pk not in stale_record_ids()


def test_revisions_are_numbered(published, depositor, valid_metadata):
    for title in ("Second title", "Third title"):
        services.open_edit(published, depositor)
        services.update_metadata(published, depositor, {**valid_metadata, "title": title})
        services.publish(published, depositor)
    numbers = list(
        MetadataRevision.objects.filter(record=published).order_by("number").values_list("number", flat=True)
    )
    assert numbers == [1, 2, 3]
