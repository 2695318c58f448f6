"""seed_demo --records N: published records through the same paths, idempotent, plus one withdrawn."""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command

from audit.models import AuditEntry
from records.exports.base import ExportRecord
from records.models import MetadataRevision, Record, RecordFacet, RecordState
from records.search import SearchParams, search
from records.validation import validate_metadata
from repository.demo import PUBLISHED_SPAN, _published_stamp, demo_metadata


def test_demo_metadata_is_valid_and_varied():
    metas = [demo_metadata(i) for i in range(300)]
    assert all(validate_metadata(m) == [] for m in metas)
    assert {m["languages"][0] for m in metas} == {"eng", "swe"}
    assert len({m["resource_type"]["type"] for m in metas}) >= 6
    assert len({m["license"] for m in metas}) >= 5
    affiliations = {a["name"] for m in metas for c in m["creators"] for a in c["affiliations"]}
    assert "KTH Royal Institute of Technology" in affiliations and "University of Oxford" in affiliations
    assert any(" för " in m["title"] for m in metas) and any(" for " in m["title"] for m in metas)


def test_seed_demo_creates_records_idempotently(db, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr("repository.demo.FULL_PATH", 5)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", records=45, files_per_record=1, stdout=out)
    published = Record.objects.filter(state=RecordState.PUBLISHED)
    assert published.count() == 45
    assert Record.objects.filter(state=RecordState.WITHDRAWN).count() == 1
    assert not Record.objects.filter(state=RecordState.DRAFT).exists()
    from curation.models import InclusionRequest

    requests = InclusionRequest.objects.filter(community__slug="stockholm-ai")
    assert requests.filter(state="submitted").exists()
    # bulk-made records look like deposited ones: DOI, revision, facets, audit trail, searchable
    bulk = published.order_by("-id").exclude(metadata__title__contains="withdrawn").first()
    first = published.order_by("id").first()
    for record in (first, bulk):
        assert record.doi.endswith(f".{record.pk}") and record.published_at and record.datestamp
        assert MetadataRevision.objects.filter(record=record, number=1).exists()
        assert RecordFacet.objects.filter(record=record, name="type").exists()
        verbs = set(
            AuditEntry.objects.filter(object_id=str(record.pk), object_type="records.record").values_list(
                "verb", flat=True
            )
        )
        assert {"create_draft", "publish"} <= verbs
        assert record.search_text and record.search_vector
    word = bulk.metadata["title"].split()[0]
    assert search(SearchParams(q=word)).total >= 1
    assert_like_deposited(first, bulk)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", records=45, stdout=io.StringIO())
    assert Record.objects.filter(state=RecordState.PUBLISHED).count() == 45
    assert Record.objects.filter(state=RecordState.WITHDRAWN).count() == 1
    assert InclusionRequest.objects.count() == requests.count()  # idempotent


def assert_like_deposited(deposited, seeded) -> None:
    """A bulk-seeded record has what a deposited one has: files with checksums and their bytes in
    every storage location, the same audit verbs, and current OAI-PMH payloads naming its files."""
    import hashlib

    from oaipmh.formats import FORMATS
    from oaipmh.models import RenderedPayload
    from storage.models import FileReplica, FileVersion

    verbs = {}
    for record in (deposited, seeded):
        versions = list(
            FileVersion.objects.filter(file__bucket=record.bucket).select_related(
                "instance__location", "file"
            )
        )
        assert len(versions) == 1, record.pk
        version = versions[0]
        assert (version.state, version.number) == ("published", 1) and version.published_at
        instance = version.instance
        with instance.location.backend().open_read(instance.path) as handle:
            data = handle.read()
        assert len(data) == instance.size > 0
        assert instance.md5 == "md5:" + hashlib.md5(data).hexdigest()
        assert instance.sha256 == "sha256:" + hashlib.sha256(data).hexdigest()
        assert FileReplica.objects.filter(instance=instance, verified_ok=True).exists(), (
            record.pk
        )  # replicated
        verbs[record.pk] = set(
            AuditEntry.objects.filter(object_id=str(record.pk), object_type="records.record").values_list(
                "verb", flat=True
            )
        )
        payloads = {p.prefix: p for p in RenderedPayload.objects.filter(record=record)}
        assert set(payloads) == set(FORMATS), record.pk
        assert {p.datestamp for p in payloads.values()} == {record.datestamp}
        export = ExportRecord.from_record(record)
        assert export.files and export.files[0]["key"] == version.file.key
        assert payloads["datacite"].xml == FORMATS["datacite"].render(export)  # current, with the files
        assert "1 file" in payloads["datacite"].xml
    assert verbs[deposited.pk] == verbs[seeded.pk]


def test_make_run_demo_shows_the_community_in_use(db, django_capture_on_commit_callbacks):
    """The default ``make run`` demo (20 records): Stockholm AI has at least 10 records, accepted
    through the curation verbs; requests wait with passing and failing checks; one was declined; one
    record is withdrawn; no title carries a counter; the files suit the resource types."""
    import re

    from communities.models import Community
    from curation.models import InclusionRequest
    from records.models import CommunityRecord
    from storage.models import FileKey

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", records=20, stdout=io.StringIO())
    community = Community.objects.get(slug="stockholm-ai")
    members = CommunityRecord.objects.filter(community=community, removed_at__isnull=True)
    assert members.count() >= 10
    requests = InclusionRequest.objects.filter(community=community)
    assert requests.filter(state="accepted").count() == members.count()
    pending = requests.filter(state="submitted")
    assert {r.checks_status for r in pending} == {"pass", "fail"}
    assert requests.filter(state="declined").count() == 1
    assert Record.objects.filter(state=RecordState.WITHDRAWN).count() == 1
    titles = list(Record.objects.values_list("metadata__title", flat=True))
    assert not [t for t in titles if re.search(r"\(\d+\)|\d+$", t)]
    assert len(set(titles)) == len(titles)
    assert any(" för " in t for t in titles) and any(" for " in t for t in titles)
    names = set(FileKey.objects.values_list("key", flat=True))
    suffixes = {name.rsplit(".", 1)[-1] for name in names}
    assert {"csv", "pdf"} <= suffixes and suffixes & {"png", "ipynb"}


def test_published_stamps_spread_for_a_million_records_and_beyond():
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    oldest = now - PUBLISHED_SPAN
    for total in (1, 100_000, 1_000_000, 5_000_000, 100_000_000):
        indexes = [0, 1, total // 2, 546_100 % total, total - 2, total - 1]
        stamps = [_published_stamp(i, total, now) for i in indexes]  # no OverflowError
        assert all(oldest < s <= now for s in stamps), total
        assert _published_stamp(total - 1, total, now) == now  # the last one is the newest
    million = [_published_stamp(i, 1_000_000, now) for i in (0, 1, 546_000, 546_001, 999_998, 999_999)]
    assert million == sorted(million) and len(set(million)) == len(million)  # ordered, distinct
    assert _published_stamp(1_000_000, 1_000_000, now) == now  # past the end: the newest, no error
    assert _published_stamp(2_000_000_000, 1_000_000, now) == now
