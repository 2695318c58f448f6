"""Real Zenodo clients from PyPI (pinned, unmodified, each in its own virtualenv) against a live server.

Each client is configured only through its base-URL attribute or argument (zenodo_get, whose base
URL is fixed, through a wrapper that redirects that one URL). After every step the test checks the
database rows and the stored bytes.
"""

from __future__ import annotations

import hashlib

import pytest

from records.models import Record, RecordState
from storage.models import FileVersion, VersionState
from tests.zenodo import clients
from tests.zenodo.conftest import token_for


@pytest.fixture(scope="module", autouse=True)
def client_venvs():
    """The four clients' virtualenvs, built (once per pinned version) before the first test."""
    return clients.install_all()


@pytest.fixture
def server(live_server, settings):
    settings.SITE_URL = live_server.url
    return live_server.url


@pytest.fixture
def token(depositor):
    return token_for(depositor)


def stored(record: Record) -> dict[str, tuple[list[int | None], bytes]]:
    """{key: (version numbers, bytes of the current published version)} read from storage."""
    result = {}
    for version in FileVersion.objects.filter(file__bucket=record.bucket, state=VersionState.PUBLISHED):
        key = version.file.key
        numbers, data = result.get(key, ([], b""))
        numbers.append(version.number)
        latest = max(n for n in numbers if n is not None)
        if version.number == latest:
            handle = version.instance.location.backend().open_read(version.instance.path)
            try:
                data = handle.read()
            finally:
                handle.close()
        result[key] = (sorted(numbers), data)
    return result


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_zenodo_client_creates_publishes_newversions_and_downloads(server, token, depositor, tmp_path):
    first = write(tmp_path, "balance.csv", b"year,balance\n2020,-0.8\n")
    created = clients.run(
        "zenodo-client", "zenodo_client_steps.py", server, token, "create", str(first), cwd=tmp_path
    )
    record = Record.objects.get(pk=created["id"])
    assert record.owner == depositor and record.state == RecordState.PUBLISHED
    assert created["submitted"] is True and created["doi"] == record.doi
    assert record.metadata["license"] == "CC-BY-4.0" and record.metadata["version"] == "v1"
    assert stored(record) == {"balance.csv": ([1], first.read_bytes())}

    changed = write(tmp_path, "balance.csv", b"year,balance\n2020,-0.8\n2021,-1.1\n")
    updated = clients.run(
        "zenodo-client",
        "zenodo_client_steps.py",
        server,
        token,
        "update",
        str(record.pk),
        str(changed),
        cwd=tmp_path,
    )
    record.refresh_from_db()
    assert updated["id"] == record.pk and updated["state"] == "done" and updated["doi"] == record.doi
    assert record.state == RecordState.PUBLISHED and not record.has_edit_draft()
    assert record.metadata["version"] != "v1"  # zenodo-client dates its new versions
    assert record.revisions.count() == 2
    assert stored(record) == {"balance.csv": ([1, 2], changed.read_bytes())}

    downloaded = clients.run(
        "zenodo-client",
        "zenodo_client_steps.py",
        server,
        token,
        "download",
        str(record.pk),
        "balance.csv",
        cwd=tmp_path,
    )
    assert downloaded["md5"] == hashlib.md5(changed.read_bytes()).hexdigest()


def test_pyzenodo3_uploads_multipart_and_searches(server, token, depositor, tmp_path, legacy_metadata):
    from curation.services import publish_record
    from records import services
    from zenodo.mapping import to_portal

    data = write(tmp_path, "spectra.dat", b"\x00\x01spectra" * 100)
    clients.run("pyzenodo3", "pyzenodo3_steps.py", f"{server}/api", token, "upload", str(data), cwd=tmp_path)
    record = Record.objects.get(owner=depositor)
    assert record.state == RecordState.DRAFT
    versions = FileVersion.objects.filter(file__bucket=record.bucket)
    assert [(v.file.key, v.state) for v in versions] == [("spectra.dat", VersionState.STAGED)]
    assert versions[0].instance.md5 == "md5:" + hashlib.md5(data.read_bytes()).hexdigest()

    services.update_metadata(record, depositor, to_portal(legacy_metadata).metadata)
    publish_record(record, depositor)
    found = clients.run(
        "pyzenodo3",
        "pyzenodo3_steps.py",
        f"{server}/api",
        token,
        "search",
        "Lomonosovfonna isotopes",
        record.doi,
        cwd=tmp_path,
    )
    assert found == {
        "search": [record.pk],
        "by_doi": record.pk,
        "title": legacy_metadata["title"],
        "files": ["spectra.dat"],
    }
    assert stored(record) == {"spectra.dat": ([1], data.read_bytes())}


def test_zenodo_get_downloads_and_verifies_checksums(server, depositor, tmp_path, legacy_metadata):
    from curation.services import publish_record
    from records import services
    from storage import services as storage
    from zenodo.mapping import to_portal

    record = services.create_draft(depositor, to_portal(legacy_metadata).metadata)
    files = {"readme.txt": b"read me\n", "data/cores.csv": b"depth,d18O\n1,-12.5\n" * 500}
    for key, payload in files.items():
        storage.store_bytes(record.files_bucket(), key, payload, depositor)
    publish_record(record, depositor)
    out = tmp_path / "out"
    result = clients.run(
        "zenodo-get",
        "zenodo_get_redirected.py",
        server,
        "-r",
        str(record.pk),
        "-o",
        str(out),
        "-v",
        "4",
        cwd=tmp_path,
        output="text",
    )
    log = result["stdout"] + result["stderr"]
    for payload in files.values():
        assert f"({hashlib.md5(payload).hexdigest()})" in log  # zenodo_get's own MD5 check passed
    assert "INCORRECT" not in log
    assert (out / "readme.txt").read_bytes() == files["readme.txt"]
    downloaded = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert downloaded["cores.csv"] == files["data/cores.csv"]
    assert {k: v[1] for k, v in stored(record).items()} == files


def test_openscm_zenodo_creates_and_publishes_a_new_version(
    server, token, depositor, tmp_path, legacy_metadata
):
    from curation.services import publish_record
    from records import services
    from storage import services as storage
    from zenodo.mapping import to_portal

    record = services.create_draft(depositor, to_portal(legacy_metadata).metadata)
    storage.store_bytes(record.files_bucket(), "model.nc", b"version one", depositor)
    publish_record(record, depositor)
    doi = record.doi
    new = write(tmp_path, "model.nc", b"version two, longer")
    extra = write(tmp_path, "notes.md", b"# Notes\n")
    result = clients.run(
        "openscm-zenodo",
        "openscm_zenodo_steps.py",
        server,
        token,
        "newversion",
        str(record.pk),
        "2.0",
        str(new),
        str(extra),
        cwd=tmp_path,
    )
    record.refresh_from_db()
    assert result == {"id": str(record.pk), "reserved_doi": doi, "concept": str(record.pk), "state": "done"}
    assert record.doi == doi and record.metadata["version"] == "2.0" and not record.has_edit_draft()
    assert stored(record) == {
        "model.nc": ([1, 2], b"version two, longer"),
        "notes.md": ([1], b"# Notes\n"),
    }
