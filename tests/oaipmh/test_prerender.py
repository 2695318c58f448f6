"""Pre-rendered payloads: the render task, on-demand rendering, the command, and no serialiser at request time."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from oaipmh.formats import FORMATS
from oaipmh.models import RenderedPayload
from tests.oaipmh.conftest import (
    NS,
    REPOSITORY,
    edit_record,
    harvest,
    identifiers,
    include,
    sweep,
    withdraw_record,
)

SERIALISERS = [
    ("records.exports.dc", "to_oai_dc"),
    ("records.exports.datacite", "to_oai_datacite"),
    ("records.exports.datacite", "to_datacite"),
    ("records.exports.marcxml", "to_marcxml"),
]


def ident(record) -> str:
    return f"oai:{REPOSITORY}:{record.pk}"


@pytest.fixture
def spy(monkeypatch):
    """Counts calls to every export serialiser (they still work)."""
    import importlib

    calls = []
    for module_name, name in SERIALISERS:
        module = importlib.import_module(module_name)
        real = getattr(module, name)

        def wrapper(record, _real=real, _name=name):
            calls.append(_name)
            return _real(record)

        monkeypatch.setattr(module, name, wrapper)
    return calls


def stored(record) -> dict[str, RenderedPayload]:
    return {p.prefix: p for p in RenderedPayload.objects.filter(record=record)}


def test_the_task_has_the_name_the_records_app_calls():
    from oaipmh.tasks import render_record

    assert render_record.name == "oaipmh.tasks.render_record"


@pytest.mark.django_db
def test_publish_edit_withdraw_reinstate_are_rendered_by_the_sweep(
    publish_record, depositor, staff, django_capture_on_commit_callbacks
):
    from records import services

    record = publish_record(title="First title")
    payloads = stored(record)
    assert set(payloads) == set(FORMATS)
    assert all(p.datestamp == record.datestamp for p in payloads.values())
    assert "First title" in payloads["oai_dc"].xml and "First title" in payloads["marcxml"].xml

    record = edit_record(record, depositor, django_capture_on_commit_callbacks, title="Second title")
    payloads = stored(record)
    assert all(p.datestamp == record.datestamp for p in payloads.values())
    assert all("Second title" in p.xml and "First title" not in p.xml for p in payloads.values())

    withdraw_record(record, depositor, django_capture_on_commit_callbacks)
    assert stored(record) == {}  # a withdrawn record's metadata is no longer disseminated

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record = services.reinstate(record, staff, "Back.")
    assert len(callbacks) >= 1
    sweep()
    assert set(stored(record)) == set(FORMATS)
    assert all(p.datestamp == record.datestamp for p in stored(record).values())


@pytest.mark.django_db
def test_nothing_is_rendered_before_commit(depositor, django_capture_on_commit_callbacks):
    from records import services
    from tests.oaipmh.conftest import metadata

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record = services.publish(
            services.create_draft(depositor, metadata()), depositor, declaration_accepted=True
        )
    assert stored(record) == {}
    for callback in callbacks:
        callback()
    sweep()
    assert set(stored(record)) == set(FORMATS)


@pytest.mark.django_db
def test_list_records_and_get_record_call_no_serialiser(oai, settings, publish_record, spy):
    settings.OAI_PAGE_SIZE = 3
    records = [publish_record() for _ in range(7)]
    spy.clear()
    for prefix in FORMATS:
        headers, pages = harvest(oai, "ListRecords", metadataPrefix=prefix)
        assert len(headers) == 7 and len(pages) == 3
        root = oai(verb="GetRecord", identifier=ident(records[0]), metadataPrefix=prefix)
        assert root.find(".//oai:metadata", NS) is not None
    harvest(oai, "ListIdentifiers", metadataPrefix="oai_dc")
    assert spy == []


@pytest.mark.django_db
def test_missing_payload_is_rendered_on_demand_and_stored(oai, publish_record, spy):
    record = publish_record(title="Rendered on demand")
    RenderedPayload.objects.filter(record=record).delete()
    spy.clear()
    root = oai(verb="ListRecords", metadataPrefix="oai_dc")
    assert root.findtext(".//dc:title", namespaces=NS) == "Rendered on demand"
    assert set(spy) == {name for _, name in SERIALISERS}  # every format…
    assert spy.count("to_oai_dc") == spy.count("to_marcxml") == spy.count("to_oai_datacite") == 1  # …once
    assert set(stored(record)) == set(FORMATS)
    spy.clear()
    oai(verb="ListRecords", metadataPrefix="marcxml")
    oai(verb="GetRecord", identifier=ident(record), metadataPrefix="datacite")
    assert spy == []


@pytest.mark.django_db
def test_get_record_renders_a_missing_payload_too(oai, publish_record, spy):
    record = publish_record(title="GetRecord on demand")
    RenderedPayload.objects.filter(record=record, prefix="oai_datacite").delete()
    root = oai(verb="GetRecord", identifier=ident(record), metadataPrefix="oai_datacite")
    assert root.find(".//oai_datacite:payload/datacite:resource", NS) is not None
    assert "oai_datacite" in stored(record)


@pytest.mark.django_db
def test_stale_payload_is_never_served(oai, publish_record):
    """A record that changed after its payload was rendered (task not run yet) is rendered afresh."""
    from django.utils import timezone

    from records.models import Record

    record = publish_record(title="Old title")
    Record.objects.filter(pk=record.pk).update(
        metadata={**record.metadata, "title": "New title"}, datestamp=timezone.now()
    )  # as if the render task had not run yet
    root = oai(verb="ListRecords", metadataPrefix="oai_dc")
    assert root.findtext(".//dc:title", namespaces=NS) == "New title"
    root = oai(verb="GetRecord", identifier=ident(record), metadataPrefix="marcxml")
    assert "New title" in root.findtext(
        ".//marc:datafield[@tag='245']/marc:subfield[@code='a']", namespaces=NS
    )
    record.refresh_from_db()
    assert all(p.datestamp == record.datestamp for p in stored(record).values())


@pytest.mark.django_db
def test_render_record_service_is_idempotent(publish_record):
    from oaipmh.services import render_record

    record = publish_record()
    first = render_record(record.pk)
    second = render_record(record)
    assert first == second and set(first) == set(FORMATS)
    assert RenderedPayload.objects.filter(record=record).count() == len(FORMATS)
    assert render_record(987654) == {}


@pytest.mark.django_db
def test_oai_render_command(publish_record, depositor, django_capture_on_commit_callbacks):
    records = [publish_record() for _ in range(5)]
    withdrawn = withdraw_record(publish_record(), depositor, django_capture_on_commit_callbacks)
    RenderedPayload.objects.filter(record=records[0]).delete()
    RenderedPayload.objects.filter(record=records[1], prefix="marcxml").update(
        xml="<stale/>", datestamp="2000-01-01T00:00:00Z"
    )
    RenderedPayload.objects.create(
        record=withdrawn, prefix="oai_dc", xml="<leftover/>", datestamp=withdrawn.datestamp
    )
    untouched = stored(records[2])["oai_dc"].rendered_at

    out = io.StringIO()
    call_command("oai_render", "--batch-size", "2", stdout=out)
    assert "2/2" in out.getvalue() and "Rendered 2 records" in out.getvalue()
    assert set(stored(records[0])) == set(FORMATS)
    assert stored(records[1])["marcxml"].xml.startswith("<record")
    assert stored(records[2])["oai_dc"].rendered_at == untouched
    assert stored(withdrawn) == {}

    out = io.StringIO()
    call_command("oai_render", "--all", "--batch-size", "2", stdout=out)
    assert "[##############################] 5/5" in out.getvalue() and "Rendered 5 records" in out.getvalue()
    assert stored(records[2])["oai_dc"].rendered_at > untouched


@pytest.mark.django_db(transaction=True)
def test_oai_render_command_with_worker_processes(publish_record):
    records = [publish_record() for _ in range(6)]
    RenderedPayload.objects.all().delete()
    out = io.StringIO()
    call_command("oai_render", "--all", "--workers", "2", "--batch-size", "2", stdout=out)
    assert "Rendered 6 records" in out.getvalue()
    assert RenderedPayload.objects.filter(record__in=records).count() == 6 * len(FORMATS)


@pytest.mark.django_db
@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
def test_list_verbs_use_a_fixed_number_of_queries(
    client,
    settings,
    publish_record,
    depositor,
    curator,
    community,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
    verb,
):
    from tests.oaipmh.conftest import parse_and_validate, token_of

    records = [publish_record() for _ in range(12)]
    for record in records[:8]:
        include(record, community, depositor, curator, django_capture_on_commit_callbacks)
    call_command("oai_render", stdout=io.StringIO())  # acceptance made their payloads stale

    def get(**params):
        return parse_and_validate(b"".join(client.get("/oai2d", params).streaming_content))

    for page_size in (3, 7):  # the number of queries does not grow with the page
        settings.OAI_PAGE_SIZE = page_size
        with django_assert_num_queries(2):  # page (with payloads), set memberships: no count (#19)
            first = get(verb=verb, metadataPrefix="oai_dc")
        assert len(identifiers(first)) == page_size
        with django_assert_num_queries(2):  # page, set memberships
            get(verb=verb, resumptionToken=token_of(first).text)
        with django_assert_num_queries(5):  # the set's community, 3 index-ordered streams, memberships
            in_set = get(verb=verb, metadataPrefix="oai_dc", set="user-stockholm-ai")
        assert len(identifiers(in_set)) == page_size
        with django_assert_num_queries(5):  # the set's community, 3 streams, set memberships
            get(verb=verb, resumptionToken=token_of(in_set).text)
    settings.OAI_PAGE_SIZE = 50
    with django_assert_num_queries(2):  # a list on one page needs no count
        get(verb=verb, metadataPrefix="oai_dc")
    with django_assert_num_queries(2):  # GetRecord: the record with its payload, its sets
        get(verb="GetRecord", identifier=ident(records[0]), metadataPrefix="oai_dc")
    with django_assert_num_queries(1):  # ListSets: a page of communities (one page: no count)
        get(verb="ListSets")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_after_publish(celery_worker, depositor):
    from records import services
    from tests.oaipmh.conftest import metadata

    record = services.publish(
        services.create_draft(depositor, metadata(title="Worker-rendered")),
        depositor,
        declaration_accepted=True,
    )
    from oaipmh.tasks import render_stale

    render_stale.delay()  # what beat sends every OAI_RENDER_INTERVAL_SECONDS
    assert celery_worker.wait_until(
        lambda: RenderedPayload.objects.filter(record=record).count() == len(FORMATS)
    )
    assert "Worker-rendered" in RenderedPayload.objects.get(record=record, prefix="oai_dc").xml


@pytest.mark.django_db
def test_payload_follows_community_membership_live(
    oai, publish_record, depositor, curator, community, django_capture_on_commit_callbacks
):
    """Payloads name the record's communities: acceptance and removal make the stored one stale."""
    from tests.oaipmh.conftest import remove_from

    community_url = "http://testserver/communities/stockholm-ai/"
    record = publish_record()

    def related(prefix="datacite"):
        root = oai(verb="GetRecord", identifier=ident(record), metadataPrefix=prefix)
        return [r.text for r in root.iterfind(".//datacite:relatedIdentifier", NS)]

    assert community_url not in related()
    request = include(record, community, depositor, curator, django_capture_on_commit_callbacks)
    assert community_url in related()
    root = oai(verb="ListRecords", metadataPrefix="oai_datacite")
    assert community_url in [r.text for r in root.iterfind(".//datacite:relatedIdentifier", NS)]
    remove_from(request, curator, django_capture_on_commit_callbacks)
    assert community_url not in related()


@pytest.mark.django_db
def test_changed_serialisation_gets_a_new_datestamp(oai, publish_record):
    """After a serialiser changes, ``oai_render --all`` moves the datestamps of records whose payload changed."""
    changed, same = publish_record(), publish_record()
    # as if rendered by an older serialiser, for the record's current datestamp
    RenderedPayload.objects.filter(record=changed, prefix="marcxml").update(
        xml="<record>old serialisation</record>"
    )
    out = io.StringIO()
    call_command("oai_render", "--all", stdout=out)
    assert "Rendered 2 records" in out.getvalue() and "1 whose serialisation changed" in out.getvalue()
    old_changed, old_same = changed.datestamp, same.datestamp
    changed.refresh_from_db(), same.refresh_from_db()
    assert changed.datestamp > old_changed and same.datestamp == old_same
    assert all(p.datestamp == changed.datestamp for p in stored(changed).values())
    root = oai(
        verb="ListIdentifiers",
        metadataPrefix="oai_dc",
        **{"from": changed.datestamp.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    assert ident(changed) in identifiers(root)
    # a format added since the last rendering counts as a changed serialisation too
    RenderedPayload.objects.filter(record=same, prefix="datacite").delete()
    call_command("oai_render", stdout=io.StringIO())
    same.refresh_from_db()
    assert same.datestamp > old_same


@pytest.mark.django_db
def test_bulk_export_view_is_the_single_one_in_two_queries(
    publish_record,
    depositor,
    curator,
    staff,
    community,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    """``ExportRecord.from_records`` (bulk rendering) gives what ``from_record`` gives, record by record:
    the latest published version of each key still there, never staged or removed keys, no files of
    restricted or embargoed records, only live memberships of public communities."""
    import datetime as dt

    from communities.models import Community
    from communities.services import create_community
    from records import services
    from records.exports.base import ExportRecord
    from records.models import Record
    from storage.services import remove_file, store_bytes
    from tests.oaipmh.conftest import metadata, remove_from

    capture = django_capture_on_commit_callbacks

    def deposit(files: dict[str, bytes], **overrides):
        with capture(execute=True):
            draft = services.create_draft(depositor, metadata(**overrides))
            for key, data in files.items():
                store_bytes(draft.bucket, key, data, depositor)
            return services.publish(draft, depositor, declaration_accepted=True)

    edited = deposit({"b.csv": b"b,1\n", "a.txt": b"first"})
    with capture(execute=True):  # a.txt replaced, b.csv removed, c.txt added: published
        services.open_edit(edited, depositor)
        edited.refresh_from_db()
        store_bytes(edited.bucket, "a.txt", b"second version", depositor)
        remove_file(edited.bucket, "b.csv", depositor)
        store_bytes(edited.bucket, "c.txt", b"new", depositor)
        edited = services.publish(edited, depositor, declaration_accepted=True)
        services.open_edit(edited, depositor)  # a staged version that is not published
        edited.refresh_from_db()
        store_bytes(edited.bucket, "c.txt", b"staged, not public", depositor)
    future = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    restricted = deposit({"secret.txt": b"x"}, access_right="restricted", access_conditions="Ask us.")
    embargoed = deposit({"later.txt": b"y"}, access_right="embargoed", embargo_date=future)
    plain = publish_record()
    hidden = create_community(staff, slug="hidden-group", title="A hidden group", owner=curator)
    Community.objects.filter(pk=hidden.pk).update(visibility="restricted")
    other = create_community(staff, slug="other-ai", title="Other AI", owner=curator)
    include(plain, community, depositor, curator, capture)
    include(plain, hidden, depositor, curator, capture)
    include(edited, other, depositor, curator, capture)
    remove_from(include(edited, community, depositor, curator, capture), curator, capture)

    records = list(Record.objects.filter(pk__in=[edited.pk, restricted.pk, embargoed.pk, plain.pk]))
    one_by_one = [ExportRecord.from_record(r) for r in records]
    with django_assert_num_queries(2):
        together = ExportRecord.from_records(records)
    assert together == one_by_one
    by_id = {e.id: e for e in together}
    assert [(f["key"], f["size"]) for f in by_id[edited.pk].files] == [("a.txt", 14), ("c.txt", 3)]
    assert by_id[restricted.pk].files == by_id[embargoed.pk].files == []
    assert [c["slug"] for c in by_id[plain.pk].communities] == ["stockholm-ai"]
    assert [c["slug"] for c in by_id[edited.pk].communities] == ["other-ai"]
    with django_assert_num_queries(1):  # no public files: the communities only
        assert ExportRecord.from_records([restricted]) == [by_id[restricted.pk]]
    with django_assert_num_queries(0):
        assert ExportRecord.from_records([]) == []


@pytest.mark.django_db
def test_bulk_rendering_takes_a_fixed_number_of_queries(
    publish_record, depositor, curator, community, django_capture_on_commit_callbacks
):
    """``oai_render`` and on-demand rendering of a page: the queries do not grow with the records."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from oaipmh.services import render_missing, rerender_records

    records = [publish_record() for _ in range(12)]
    for record in records[::2]:
        include(record, community, depositor, curator, django_capture_on_commit_callbacks)
    counts = {}
    for size in (3, 12):
        ids = [r.pk for r in records[:size]]
        # as if rendered by an older serialiser: every datestamp moves
        RenderedPayload.objects.filter(record_id__in=ids, prefix="oai_dc").update(xml="<old/>")
        with CaptureQueriesContext(connection) as rerender:
            assert rerender_records(ids) == (size, size)
        RenderedPayload.objects.filter(record_id__in=ids).delete()
        with CaptureQueriesContext(connection) as missing:
            found = render_missing(ids, "marcxml")
        assert sorted(found) == sorted(ids)
        counts[size] = (len(rerender), len(missing))
    assert counts[3] == counts[12]
    assert counts[12][1] <= 4  # records, files, communities, the upsert
