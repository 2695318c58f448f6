"""Croissant 1.1 export: valid for mlcroissant, loadable against a live server, rows from CSV and Parquet."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from etils import epath

from aitools import services, tabular
from aitools.models import FileProfile
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


def profile_all():
    for instance_id, key in services.unprofiled_tables(100):
        services.profile_instance(instance_id, key)


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
    profile_all()
    assert FileProfile.objects.count() == 2

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


def test_unprofiled_table_is_queued_and_then_described(client, depositor, django_capture_on_commit_callbacks):
    record = deposit(depositor, {"t.tsv": b"a\tb\nx\t1\n"})
    queued = []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        doc = json.loads(client.get(f"/records/{record.pk}/export/croissant").content)
    queued = callbacks
    assert "recordSet" not in doc
    assert len(queued) == 1
    profile_all()
    doc = json.loads(client.get(f"/records/{record.pk}/export/croissant").content)
    assert [(f["name"], f["dataType"]) for f in doc["recordSet"][0]["field"]] == [
        ("a", "sc:Text"),
        ("b", "sc:Integer"),
    ]


@pytest.mark.parametrize(
    ("fmt", "data", "columns"),
    [
        ("csv", b"x,y\n1,\n2,3.5\n", [("x", "sc:Integer"), ("y", "sc:Float")]),
        (
            "jsonl",
            b'{"q": "a", "ok": true}\n{"q": "b", "ok": false, "n": 2}\n',
            [("q", "sc:Text"), ("ok", "sc:Boolean"), ("n", "sc:Integer")],
        ),
        ("csv", b"", None),
        ("jsonl", b"[1, 2]\n", None),
        ("parquet", b"not parquet at all", None),
    ],
)
def test_reader(fmt, data, columns):
    def read(start, length):
        return data[start : start + length]

    if columns is None:
        with pytest.raises(tabular.NotATable):
            tabular.read_columns(fmt, read, len(data), max_bytes=1024, max_rows=10)
    else:
        got = tabular.read_columns(fmt, read, len(data), max_bytes=1024, max_rows=10)
        assert [(c["name"], c["type"]) for c in got] == columns


def test_text_tables_are_read_from_their_first_bytes_only():
    data = b"n\n" + b"1\n" * 100 + b"oops-not-a-number\n"
    seen = []

    def read(start, length):
        seen.append((start, length))
        return data[start : start + length]

    got = tabular.read_columns("csv", read, len(data), max_bytes=64, max_rows=1000)
    assert got == [{"name": "n", "type": "sc:Integer"}]
    assert seen == [(0, 64)]


@pytest.mark.worker
def test_worker_profiles_tables_queued_by_the_sweep_and_by_the_export(celery_worker, client, depositor):
    from aitools.tasks import profile_new_tables

    first = deposit(depositor, {"a.csv": b"n,name\n1,x\n"})
    assert profile_new_tables() == 1  # the beat job queues the new table for the worker
    assert celery_worker.wait_until(lambda: FileProfile.objects.count() == 1, timeout=120)
    # a table the sweep has not reached: asking for the Croissant queues it after the response
    second = deposit(depositor, {"b.jsonl": b'{"q": "why", "score": 0.5}\n'})
    assert "recordSet" not in json.loads(client.get(f"/records/{second.pk}/export/croissant").content)
    assert celery_worker.wait_until(lambda: FileProfile.objects.count() == 2, timeout=120)
    fields = json.loads(client.get(f"/records/{second.pk}/export/croissant").content)["recordSet"][0]["field"]
    assert [(f["name"], f["dataType"]) for f in fields] == [("q", "sc:Text"), ("score", "sc:Float")]
    fields = json.loads(client.get(f"/records/{first.pk}/export/croissant").content)["recordSet"][0]["field"]
    assert [(f["name"], f["dataType"]) for f in fields] == [("n", "sc:Integer"), ("name", "sc:Text")]
