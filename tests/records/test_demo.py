"""seed_demo --records N: published records through the same paths, idempotent, plus one withdrawn."""

from __future__ import annotations

import io

from django.core.management import call_command

from records.demo import demo_metadata
from records.models import MetadataRevision, Record, RecordFacet, RecordState
from records.search import SearchParams, search
from records.validation import validate_metadata
from repository.models import AuditEntry


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
    monkeypatch.setattr("records.demo.FULL_PATH", 5)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", records=45, files_per_record=1, stdout=out)
    published = Record.objects.filter(state=RecordState.PUBLISHED)
    assert published.count() == 45
    assert Record.objects.filter(state=RecordState.WITHDRAWN).count() == 1
    assert not Record.objects.filter(state=RecordState.DRAFT).exists()
    # bulk-made records look like deposited ones: DOI, revision, facets, audit trail, searchable
    bulk = published.order_by("-id").exclude(metadata__title__contains="withdrawn").first()
    first = published.order_by("id").first()
    for record in (first, bulk):
        assert record.doi.endswith(f".{record.pk}") and record.published_at and record.datestamp
        assert MetadataRevision.objects.filter(record=record, number=1).exists()
        assert RecordFacet.objects.filter(record=record, name="type").exists()
        verbs = set(AuditEntry.objects.filter(object_id=str(record.pk), object_type="records.record")
                    .values_list("verb", flat=True))  # fmt: skip
        assert {"create_draft", "publish"} <= verbs
        assert record.search_text and record.search_vector
    word = bulk.metadata["title"].split()[0]
    assert search(SearchParams(q=word)).total >= 1
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", records=45, stdout=io.StringIO())
    assert Record.objects.filter(state=RecordState.PUBLISHED).count() == 45
    assert Record.objects.filter(state=RecordState.WITHDRAWN).count() == 1
