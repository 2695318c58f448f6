"""GetRecord, ListIdentifiers, ListRecords: payloads, deleted records, sets, date ranges."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from tests.oaipmh.conftest import (
    NS,
    OAI,
    REPOSITORY,
    edit_record,
    error_codes,
    identifiers,
    include,
    remove_from,
    request_attributes,
    withdraw_record,
)


def ident(record) -> str:
    return f"oai:{REPOSITORY}:{record.pk}"


def stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def headers_by_id(root) -> dict:
    return {h.findtext("oai:identifier", namespaces=NS): h for h in root.iter(f"{{{OAI}}}header")}


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["oai_dc", "oai_datacite", "datacite", "marcxml"])
def test_get_record_serves_the_export_serialisers_output(oai, publish_record, prefix):
    from oaipmh.formats import FORMATS
    from records.exports.base import ExportRecord

    record = publish_record(title="Ångström & <friends>")
    root = oai(verb="GetRecord", identifier=ident(record), metadataPrefix=prefix)
    assert request_attributes(root) == {
        "verb": "GetRecord",
        "identifier": ident(record),
        "metadataPrefix": prefix,
    }
    header = root.find(".//oai:header", NS)
    assert header.get("status") is None
    assert header.findtext("oai:identifier", namespaces=NS) == ident(record)
    assert header.findtext("oai:datestamp", namespaces=NS) == stamp(record.datestamp)
    payload = root.find(".//oai:metadata", NS)[0]
    expected = etree.fromstring(FORMATS[prefix].render(ExportRecord.from_record(record)))
    assert etree.tostring(payload, method="c14n", exclusive=True) == etree.tostring(
        expected, method="c14n", exclusive=True
    )
    body = etree.tostring(root, encoding="unicode")
    assert "secret.contact@example.se" not in body  # e-mail addresses are never exported


@pytest.mark.django_db
def test_get_record_over_post(oai, publish_record):
    record = publish_record()
    root = oai(method="post", verb="GetRecord", identifier=ident(record), metadataPrefix="oai_dc")
    assert identifiers(root) == [ident(record)]
    assert root.find(".//dc:title", NS).text == record.metadata["title"]


@pytest.mark.django_db
def test_withdrawn_record_is_a_deleted_header_everywhere(
    oai, publish_record, depositor, django_capture_on_commit_callbacks
):
    kept = publish_record()
    gone = withdraw_record(publish_record(), depositor, django_capture_on_commit_callbacks)
    root = oai(verb="GetRecord", identifier=ident(gone), metadataPrefix="oai_dc")
    header = root.find(".//oai:header", NS)
    assert header.get("status") == "deleted"
    assert header.findtext("oai:datestamp", namespaces=NS) == stamp(gone.withdrawn_at)
    assert root.find(".//oai:metadata", NS) is None
    for verb in ("ListRecords", "ListIdentifiers"):
        root = oai(verb=verb, metadataPrefix="marcxml")
        found = headers_by_id(root)
        assert found[ident(gone)].get("status") == "deleted"
        assert found[ident(kept)].get("status") is None
        records = {
            r.findtext("oai:header/oai:identifier", namespaces=NS): r
            for r in root.iterfind(".//oai:record", NS)
        }
        if verb == "ListRecords":
            assert records[ident(gone)].find("oai:metadata", NS) is None
            assert records[ident(kept)].find("oai:metadata", NS) is not None
    # deleted records are subject to from/until
    after = stamp(gone.withdrawn_at + dt.timedelta(seconds=1))
    root = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", until=stamp(gone.withdrawn_at))
    assert ident(gone) in identifiers(root)
    assert error_codes(oai(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": after})) == [
        "noRecordsMatch"
    ]


@pytest.mark.django_db
def test_reinstated_record_comes_back_with_a_new_datestamp(
    oai, publish_record, depositor, staff, django_capture_on_commit_callbacks
):
    from records import services

    record = withdraw_record(publish_record(), depositor, django_capture_on_commit_callbacks)
    withdrawn_stamp = record.datestamp
    with django_capture_on_commit_callbacks(execute=True):
        record = services.reinstate(record, staff, "Withdrawn by mistake.")
    assert record.datestamp > withdrawn_stamp
    root = oai(verb="GetRecord", identifier=ident(record), metadataPrefix="datacite")
    header = root.find(".//oai:header", NS)
    assert header.get("status") is None
    assert header.findtext("oai:datestamp", namespaces=NS) == stamp(record.datestamp)
    assert root.find(".//datacite:resource", NS) is not None


@pytest.mark.django_db
def test_edit_changes_datestamp_and_payload(
    oai, publish_record, depositor, django_capture_on_commit_callbacks
):
    record = publish_record(title="Before the edit")
    before = record.datestamp
    record = edit_record(record, depositor, django_capture_on_commit_callbacks, title="After the edit")
    assert record.datestamp > before
    root = oai(verb="ListRecords", metadataPrefix="oai_dc")
    assert root.findtext(".//dc:title", namespaces=NS) == "After the edit"
    assert root.findtext(".//oai:datestamp", namespaces=NS) == stamp(record.datestamp)


@pytest.mark.django_db
def test_from_until_are_inclusive_and_day_until_covers_the_day(oai, publish_record):
    from records.models import Record

    records = [publish_record() for _ in range(3)]
    days = [
        dt.datetime(2024, 3, 1, 23, 59, 59, 500000, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 2, 0, 0, 0, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 3, 12, 0, 0, tzinfo=dt.UTC),
    ]
    for record, when in zip(records, days, strict=True):
        Record.objects.filter(pk=record.pk).update(datestamp=when)  # back-date: test data only

    def ids(**args):
        root = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", **args)
        return identifiers(root) if not error_codes(root) else []

    a, b, c = (ident(r) for r in records)
    assert ids(**{"from": "2024-03-01", "until": "2024-03-01"}) == [a]
    assert ids(**{"from": "2024-03-02"}) == [b, c]
    assert ids(until="2024-03-02") == [a, b]
    assert ids(**{"from": "2024-03-01T23:59:59Z", "until": "2024-03-02T00:00:00Z"}) == [a, b]
    assert ids(**{"from": "2024-03-02T00:00:01Z", "until": "2024-03-03T12:00:00Z"}) == [c]
    assert ids(until="2024-03-01T23:59:58Z") == []
    # headers show second granularity, never fractions
    root = oai(verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert [d.text for d in root.iter(f"{{{OAI}}}datestamp")] == [
        "2024-03-01T23:59:59Z",
        "2024-03-02T00:00:00Z",
        "2024-03-03T12:00:00Z",
    ]


@pytest.mark.django_db
def test_list_identifiers_has_headers_only(oai, publish_record):
    record = publish_record()
    root = oai(verb="ListIdentifiers", metadataPrefix="datacite")
    assert identifiers(root) == [ident(record)]
    assert root.find(".//oai:metadata", NS) is None
    assert root.find(".//oai:record", NS) is None
    assert root.find(".//oai:resumptionToken", NS) is None  # one page: no token at all


# --- Sets ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_accepted_record_is_in_its_set_at_once(
    oai, publish_record, depositor, curator, community, django_capture_on_commit_callbacks
):
    inside = publish_record()
    outside = publish_record()
    include(inside, community, depositor, curator, django_capture_on_commit_callbacks)
    root = oai(verb="ListRecords", metadataPrefix="oai_dc", set="user-stockholm-ai")
    assert request_attributes(root)["set"] == "user-stockholm-ai"
    assert identifiers(root) == [ident(inside)]
    headers = headers_by_id(oai(verb="ListIdentifiers", metadataPrefix="oai_dc"))
    assert [s.text for s in headers[ident(inside)].iterfind("oai:setSpec", NS)] == [
        "user-stockholm-ai",
        "openaire_data",  # a dataset: in OpenAIRE's type set too
    ]
    assert [s.text for s in headers[ident(outside)].iterfind("oai:setSpec", NS)] == ["openaire_data"]
    root = oai(verb="GetRecord", identifier=ident(inside), metadataPrefix="oai_dc")
    assert root.findtext(".//oai:setSpec", namespaces=NS) == "user-stockholm-ai"


@pytest.mark.django_db
def test_removed_record_is_deleted_within_the_set_only(
    oai, publish_record, depositor, curator, community, django_capture_on_commit_callbacks
):
    from records.models import CommunityRecord

    record = publish_record()
    request = include(record, community, depositor, curator, django_capture_on_commit_callbacks)
    remove_from(request, curator, django_capture_on_commit_callbacks)
    removed_at = CommunityRecord.objects.get(record=record).removed_at
    record.refresh_from_db()
    assert record.datestamp >= removed_at  # the removal gave the record a new datestamp
    for verb in ("ListRecords", "ListIdentifiers"):
        root = oai(verb=verb, metadataPrefix="oai_dc", set="user-stockholm-ai")
        header = root.find(".//oai:header", NS)
        assert header.get("status") == "deleted"
        assert header.findtext("oai:identifier", namespaces=NS) == ident(record)
        assert header.findtext("oai:datestamp", namespaces=NS) == stamp(record.datestamp)
        assert root.find(".//oai:metadata", NS) is None
    # outside the set the record is still a normal, live record without the set
    header = oai(verb="ListRecords", metadataPrefix="oai_dc").find(".//oai:header", NS)
    assert header.get("status") is None
    assert [s.text for s in header.iterfind("oai:setSpec", NS)] == ["openaire_data"]  # its type set only
    assert header.findtext("oai:datestamp", namespaces=NS) == stamp(record.datestamp)
    # from/until apply to the removal's datestamp
    later = stamp(record.datestamp + dt.timedelta(seconds=1))
    assert error_codes(
        oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set="user-stockholm-ai", **{"from": later})
    ) == ["noRecordsMatch"]


@pytest.mark.django_db
def test_set_datestamp_follows_a_later_acceptance(
    oai, publish_record, depositor, curator, community, django_capture_on_commit_callbacks
):
    """An incremental harvest of a set (from = last harvest) finds records accepted since, also when
    the membership is newer than the record's datestamp (links made before curation decisions
    moved datestamps, or written by other means)."""
    from records.models import CommunityRecord, Record

    record = publish_record()
    include(record, community, depositor, curator, django_capture_on_commit_callbacks)
    Record.objects.filter(pk=record.pk).update(datestamp=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    added_at = CommunityRecord.objects.get(record=record).added_at
    root = oai(
        verb="ListIdentifiers", metadataPrefix="oai_dc", set="user-stockholm-ai", **{"from": stamp(added_at)}
    )
    assert identifiers(root) == [ident(record)]
    assert root.findtext(".//oai:datestamp", namespaces=NS) == stamp(added_at)


@pytest.mark.django_db
def test_acceptance_and_removal_give_the_record_a_new_datestamp_outside_the_set_too(
    oai, publish_record, depositor, curator, community, django_capture_on_commit_callbacks
):
    """Curation changes the record's setSpecs (and its payloads name its communities): an unfiltered
    incremental harvest sees the record again, with its new setSpec and a new datestamp."""
    capture = django_capture_on_commit_callbacks
    record = publish_record()
    published = record.datestamp
    other = publish_record()
    request = include(record, community, depositor, curator, capture)
    record.refresh_from_db()
    assert record.datestamp > published
    accepted = record.datestamp
    root = oai(verb="ListRecords", metadataPrefix="oai_datacite", **{"from": stamp(accepted)})
    found = headers_by_id(root)
    assert found[ident(record)].findtext("oai:datestamp", namespaces=NS) == stamp(accepted)
    assert [s.text for s in found[ident(record)].iterfind("oai:setSpec", NS)] == [
        "user-stockholm-ai",
        "openaire_data",
    ]
    related = [r.text for r in root.iterfind(".//datacite:relatedIdentifier", NS)]
    assert "http://testserver/communities/stockholm-ai/" in related  # the payload is current too
    assert ident(other) not in found or stamp(other.datestamp) >= stamp(accepted)

    remove_from(request, curator, capture)
    record.refresh_from_db()
    assert record.datestamp > accepted
    root = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": stamp(record.datestamp)})
    header = headers_by_id(root)[ident(record)]
    assert header.get("status") is None
    assert header.findtext("oai:datestamp", namespaces=NS) == stamp(record.datestamp)
    assert [s.text for s in header.iterfind("oai:setSpec", NS)] == ["openaire_data"]  # its type set only


@pytest.mark.django_db
def test_withdrawn_member_is_deleted_in_its_set(
    oai, publish_record, depositor, curator, community, django_capture_on_commit_callbacks
):
    record = publish_record()
    include(record, community, depositor, curator, django_capture_on_commit_callbacks)
    withdraw_record(record, depositor, django_capture_on_commit_callbacks)
    header = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set="user-stockholm-ai").find(
        ".//oai:header", NS
    )
    assert header.get("status") == "deleted"


@pytest.mark.django_db
def test_restricted_communities_are_not_sets(
    oai, publish_record, depositor, curator, community, django_capture_on_commit_callbacks
):
    from communities.models import Community

    if not hasattr(Community, "visibility"):
        pytest.fail("communities have no visibility field")
    record = publish_record()
    include(record, community, depositor, curator, django_capture_on_commit_callbacks)
    Community.objects.filter(pk=community.pk).update(visibility="restricted")
    # only OpenAIRE's type sets are left (issue 17: they always exist, so no noSetHierarchy)
    sets = oai(verb="ListSets")
    assert [s.text for s in sets.iterfind(".//oai:setSpec", NS)] == ["openaire", "openaire_data"]
    assert error_codes(oai(verb="ListRecords", metadataPrefix="oai_dc", set="user-stockholm-ai")) == [
        "noRecordsMatch"
    ]
    header = oai(verb="ListIdentifiers", metadataPrefix="oai_dc").find(".//oai:header", NS)
    assert [s.text for s in header.iterfind("oai:setSpec", NS)] == ["openaire_data"]


@pytest.mark.django_db
def test_characters_illegal_in_xml_never_reach_a_response(
    oai, publish_record, depositor, curator, community, django_capture_on_commit_callbacks
):
    """Control characters in stored metadata (legacy data, imports) and in a community's title are
    removed from every response, which stays well-formed and valid."""
    from communities.models import Community
    from oaipmh.services import render_record
    from records.models import Record

    record = publish_record()
    include(record, community, depositor, curator, django_capture_on_commit_callbacks)
    record.refresh_from_db()
    dirty = {
        **record.metadata,
        "title": "Bell\x07 and\x0b tab\x1f",
        "keywords": ["back\x08space"],
        "description": "<p>Form\x0cfeed</p>",
    }
    Record.objects.filter(pk=record.pk).update(metadata=dirty)
    Community.objects.filter(pk=community.pk).update(title="AI\x01 Stockholm", description="<p>x\x02y</p>")
    render_record(record.pk)
    for prefix in ("oai_dc", "oai_datacite", "datacite", "marcxml"):
        root = oai(verb="ListRecords", metadataPrefix=prefix)  # parsed and validated
        assert error_codes(root) == []
    root = oai(verb="GetRecord", identifier=ident(record), metadataPrefix="oai_dc")
    assert root.findtext(".//dc:title", namespaces=NS) == "Bell and tab"
    assert root.findtext(".//dc:description", namespaces=NS) == "Formfeed"
    the_set = oai(verb="ListSets").findall(".//oai:set", NS)[2]  # after the two type sets
    assert the_set.findtext("oai:setName", namespaces=NS) == "AI Stockholm"
