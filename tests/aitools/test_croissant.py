"""Croissant 1.1 export: valid for mlcroissant, loadable against a live server, rows from CSV and Parquet."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from etils import epath

from aitools.croissant import croissant_type
from previews import services as previews_services
from previews.models import Preview, PreviewState
from previews.tasks import make_preview_task
from tests.records.conftest import make_metadata

CSV = b"id,label,score\n1,cat,0.5\n2,dog,1.25\n3,bird,2.0\n"


def parquet_bytes() -> bytes:
    table = pa.table({"year": [2019, 2020], "speaker": ["Löfven", "Andersson"], "share": [0.25, 0.75]})
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def deposit(user, files: dict[str, bytes], **changes):
    from records.services import create_draft, publish
    from storage.services import store_bytes

    draft = create_draft(user, make_metadata(**changes))
    for key, data in files.items():
        store_bytes(draft.bucket, key, data, user)
    return publish(draft, user, declaration_accepted=True)


def preview_all():
    """Make the previews the publish queued (on-commit callbacks do not run in these tests)."""
    for version_id in previews_services.versions_without_preview().values_list("pk", flat=True):
        previews_services.make_preview(version_id)


@pytest.fixture
def mlcroissant(tmp_path, monkeypatch):
    import mlcroissant as mlc
    from mlcroissant._src.core import constants

    monkeypatch.setattr(constants, "DOWNLOAD_PATH", epath.Path(tmp_path / "download"))
    monkeypatch.setattr(
        "mlcroissant._src.operation_graph.operations.extract.EXTRACT_PATH", epath.Path(tmp_path / "extract")
    )
    return mlc


def fetch_croissant(client, record, tmp_path):
    response = client.get(f"/records/{record.pk}/export/croissant")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    doc = json.loads(response.content)
    path = tmp_path / "croissant.json"
    path.write_bytes(response.content)
    return doc, path


def test_csv_and_parquet_load_through_mlcroissant(
    live_server, settings, client, depositor, tmp_path, mlcroissant
):
    settings.SITE_URL = live_server.url
    card = {
        "kind": "dataset",
        "motivation": "Benchmarking.",
        "uses": "Classification.",
        "maintenance": "Yearly.",
    }
    record = deposit(
        depositor, {"data/train.csv": CSV, "data/speeches.parquet": parquet_bytes()}, card=card, version="2.1"
    )
    preview_all()
    assert Preview.objects.filter(state=PreviewState.READY).count() == 2

    doc, path = fetch_croissant(client, record, tmp_path)
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert doc["citeAs"].startswith("@") and "Lindqvist" in doc["citeAs"]
    files = {f["name"]: f for f in doc["distribution"]}
    assert files["data/train.csv"]["encodingFormat"] == "text/csv"
    assert files["data/train.csv"]["contentSize"] == f"{len(CSV)} B"
    assert files["data/speeches.parquet"]["encodingFormat"] == "application/x-parquet"
    assert all(len(f["sha256"]) == 64 for f in files.values())

    dataset = mlcroissant.Dataset(jsonld=str(path))  # validates: raises on any error
    assert not dataset.metadata.ctx.issues.errors
    assert not dataset.metadata.ctx.issues.warnings
    assert doc["rai:dataUseCases"] == ["Motivation: Benchmarking.", "Uses: Classification."]
    sets = {rs["name"]: rs["@id"] for rs in doc["recordSet"]}
    types = {f["name"]: f["dataType"] for rs in doc["recordSet"] for f in rs["field"]}
    assert types == {
        "id": "sc:Integer",
        "label": "sc:Text",
        "score": "sc:Float",
        "year": "sc:Integer",
        "speaker": "sc:Text",
        "share": "sc:Float",
    }

    csv_rows = list(dataset.records(record_set=sets["Rows of data/train.csv"]))
    prefix = sets["Rows of data/train.csv"] + "/"
    rows = [{k.removeprefix(prefix): v for k, v in row.items()} for row in csv_rows]
    assert rows == [
        {"id": 1, "label": b"cat", "score": 0.5},
        {"id": 2, "label": b"dog", "score": 1.25},
        {"id": 3, "label": b"bird", "score": 2.0},
    ]
    pq_set = sets["Rows of data/speeches.parquet"]
    pq_rows = [{k.removeprefix(pq_set + "/"): v for k, v in row.items()} for row in dataset.records(pq_set)]
    assert pq_rows == [
        {"year": 2019, "speaker": "Löfven".encode(), "share": 0.25},
        {"year": 2020, "speaker": b"Andersson", "share": 0.75},
    ]


def test_record_without_tables_has_file_objects_only(
    live_server, settings, client, depositor, tmp_path, mlcroissant
):
    settings.SITE_URL = live_server.url
    record = deposit(depositor, {"paper.pdf": b"%PDF-1.4\n%%EOF\n", "images.zip": b"PK\x05\x06" + b"\0" * 18})
    doc, path = fetch_croissant(client, record, tmp_path)
    assert "recordSet" not in doc
    types = sorted(node["@type"] for node in doc["distribution"])
    assert types == ["cr:FileObject", "cr:FileObject", "cr:FileSet"]
    file_set = next(n for n in doc["distribution"] if n["@type"] == "cr:FileSet")
    assert file_set["containedIn"] == {"@id": "images.zip"}
    dataset = mlcroissant.Dataset(jsonld=str(path))
    assert not dataset.metadata.ctx.issues.errors


def test_landing_page_links_the_croissant(client, depositor):
    record = deposit(depositor, {"data.csv": CSV})
    page = client.get(f"/records/{record.pk}/").content.decode()
    assert (
        f'<link rel="alternate" type="application/ld+json" href="/records/{record.pk}/export/croissant"'
        in page
    )


def test_table_without_preview_is_queued_and_then_described(
    client, depositor, django_capture_on_commit_callbacks, monkeypatch
):
    record = deposit(depositor, {"t.tsv": b"a\tb\nx\t1\n", "notes.txt": b"not a table"})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        doc = json.loads(client.get(f"/records/{record.pk}/export/croissant").content)
    assert "recordSet" not in doc
    assert sorted(f["name"] for f in doc["distribution"]) == ["notes.txt", "t.tsv"]
    assert len(callbacks) == 1  # the table's preview, queued once the response's transaction commits
    made = []
    monkeypatch.setattr(
        make_preview_task, "delay", lambda pk: made.append(make_preview_task.apply(args=[pk]))
    )
    callbacks[0]()
    assert [result.get() for result in made] == [PreviewState.READY]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        doc = json.loads(client.get(f"/records/{record.pk}/export/croissant").content)
    assert not callbacks
    assert [(f["name"], f["dataType"]) for f in doc["recordSet"][0]["field"]] == [
        ("a", "sc:Text"),
        ("b", "sc:Integer"),
    ]


def test_a_table_whose_preview_failed_is_not_queued_again(
    client, depositor, django_capture_on_commit_callbacks
):
    record = deposit(depositor, {"broken.jsonl": b"[1, 2]\n{not json\n"})
    preview_all()
    assert Preview.objects.get().state == PreviewState.FAILED
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        doc = json.loads(client.get(f"/records/{record.pk}/export/croissant").content)
    assert not callbacks
    assert "recordSet" not in doc
    assert doc["distribution"][0]["encodingFormat"] == "application/jsonlines"


def test_dates_and_times_keep_their_types(live_server, settings, client, depositor, tmp_path, mlcroissant):
    settings.SITE_URL = live_server.url
    data = b"day,at,ok,empty\n2024-01-31,2024-01-31 10:15:00,true,\n2024-02-01,2024-02-01 11:00:00,false,\n"
    record = deposit(depositor, {"events.csv": data})
    preview_all()
    doc, path = fetch_croissant(client, record, tmp_path)
    assert [(f["name"], f["dataType"]) for f in doc["recordSet"][0]["field"]] == [
        ("day", "sc:Date"),
        ("at", "sc:DateTime"),
        ("ok", "sc:Boolean"),
        ("empty", "sc:Text"),
    ]
    dataset = mlcroissant.Dataset(jsonld=str(path))
    assert not dataset.metadata.ctx.issues.errors


@pytest.mark.parametrize(
    ("arrow", "expected"),
    [
        ("int8", "sc:Integer"),
        ("uint64", "sc:Integer"),
        ("double", "sc:Float"),
        ("float", "sc:Float"),
        ("halffloat", "sc:Float"),
        ("decimal128(10, 2)", "sc:Float"),
        ("bool", "sc:Boolean"),
        ("date32[day]", "sc:Date"),
        ("timestamp[s]", "sc:DateTime"),
        ("timestamp[ns, tz=UTC]", "sc:DateTime"),
        ("time64[us]", "sc:Time"),
        ("string", "sc:Text"),
        ("large_string", "sc:Text"),
        ("null", "sc:Text"),
        ("list<item: int64>", "sc:Text"),
        ("struct<a: int64>", "sc:Text"),
    ],
)
def test_arrow_types_map_to_schema_org(arrow, expected):
    assert croissant_type(arrow) == expected


@pytest.mark.worker
def test_worker_previews_tables_after_publish_and_when_the_croissant_asks(celery_worker, client, depositor):
    def fields(record):
        doc = json.loads(client.get(f"/records/{record.pk}/export/croissant").content)
        return [(f["name"], f["dataType"]) for rs in doc.get("recordSet", []) for f in rs["field"]]

    # publishing queues the previews; the worker makes them and Croissant then describes the table
    first = deposit(depositor, {"a.csv": b"n,name\n1,x\n"})
    assert celery_worker.wait_until(
        lambda: fields(first) == [("n", "sc:Integer"), ("name", "sc:Text")], timeout=120
    )
    # a table whose preview is missing (stored by a path that queued none): asking for the Croissant
    # lists its FileObject alone and queues the preview, after which the RecordSet is there
    second = deposit(depositor, {"b.jsonl": b'{"q": "why", "score": 0.5}\n'})
    assert celery_worker.wait_until(
        lambda: Preview.objects.filter(version__file__bucket=second.bucket, finished__isnull=False).exists(),
        timeout=120,
    )
    Preview.objects.filter(version__file__bucket=second.bucket).delete()
    assert fields(second) == []
    assert celery_worker.wait_until(
        lambda: fields(second) == [("q", "sc:Text"), ("score", "sc:Float")], timeout=120
    )
