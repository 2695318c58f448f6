"""Downloads: headers, Range, conditional GETs, access rules, versions, X-Accel-Redirect, ZIP."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import Client
from django.utils.http import http_date

from records.services import create_draft
from storage import services
from tests.records.conftest import future, make_metadata
from tests.storage.conftest import md5_hex

DATA = bytes(range(256)) * 40  # 10 240 bytes


@pytest.fixture
def record(depositor, publish):
    draft = create_draft(depositor, make_metadata())
    services.store_bytes(draft.bucket, "data/tabell.csv", DATA, depositor)
    services.store_bytes(draft.bucket, "Överblick – rapport.pdf", b"%PDF-1.4 fake", depositor)
    services.store_bytes(draft.bucket, "page.html", b"<script>alert(1)</script>", depositor)
    return publish(draft, depositor)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_full_download_headers(record):
    response = Client().get(f"/records/{record.pk}/files/data/tabell.csv")
    assert response.status_code == 200
    assert body(response) == DATA
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Length"] == str(len(DATA))
    assert response["ETag"] == f'"{md5_hex(DATA)}"'
    assert response["Accept-Ranges"] == "bytes"
    assert response["Last-Modified"]
    assert response["Content-Disposition"] == 'inline; filename="tabell.csv"'


def test_non_ascii_names_get_an_rfc_5987_filename(record):
    response = Client().get(f"/records/{record.pk}/files/Överblick – rapport.pdf?download=1")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Overblick  rapport.pdf\"; filename*=UTF-8''%C3%96verblick%20%E2%80%93%20rapport.pdf"
    )


def test_html_is_never_shown_inline(record):
    response = Client().get(f"/records/{record.pk}/files/page.html")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_head_has_the_headers_and_no_body(record):
    response = Client().head(f"/records/{record.pk}/files/data/tabell.csv")
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(DATA))
    assert response["ETag"] == f'"{md5_hex(DATA)}"'
    assert body(response) == b""


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=10000-", 10000, 10239),
        ("bytes=-40", 10200, 10239),
        ("bytes=10200-99999", 10200, 10239),
    ],
)
def test_single_range_gives_206(record, header, first, last):
    response = Client().get(f"/records/{record.pk}/files/data/tabell.csv", headers={"Range": header})
    assert response.status_code == 206
    assert body(response) == DATA[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(DATA)}"
    assert response["Content-Length"] == str(last - first + 1)


def test_multiple_ranges_give_multipart_byteranges(record):
    response = Client().get(
        f"/records/{record.pk}/files/data/tabell.csv", headers={"Range": "bytes=0-9,100-109"}
    )
    assert response.status_code == 206
    content_type = response["Content-Type"]
    assert content_type.startswith("multipart/byteranges; boundary=")
    boundary = content_type.split("boundary=")[1].encode()
    payload = body(response)
    assert len(payload) == int(response["Content-Length"])
    parts = [p for p in payload.split(b"--" + boundary) if p.strip(b"\r\n-")]
    assert len(parts) == 2
    assert b"Content-Range: bytes 0-9/10240\r\n\r\n" + DATA[0:10] in parts[0]
    assert b"Content-Range: bytes 100-109/10240\r\n\r\n" + DATA[100:110] in parts[1]


def test_unsatisfiable_range_gives_416(record):
    response = Client().get(f"/records/{record.pk}/files/data/tabell.csv", headers={"Range": "bytes=20000-"})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(DATA)}"


def test_malformed_range_is_ignored(record):
    response = Client().get(f"/records/{record.pk}/files/data/tabell.csv", headers={"Range": "bytes=abc"})
    assert response.status_code == 200 and body(response) == DATA


def test_if_range_with_a_stale_etag_sends_the_whole_file(record):
    url = f"/records/{record.pk}/files/data/tabell.csv"
    response = Client().get(url, headers={"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert response.status_code == 200 and body(response) == DATA
    etag = Client().head(url)["ETag"]
    response = Client().get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert response.status_code == 206 and body(response) == DATA[:10]


def test_conditional_gets(record):
    url = f"/records/{record.pk}/files/data/tabell.csv"
    first = Client().get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    response = Client().get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304 and response["ETag"] == etag and body(response) == b""
    assert Client().get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert Client().get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert Client().get(url, headers={"If-Modified-Since": http_date(86400)}).status_code == 200
    assert Client().get(url, headers={"If-Match": '"other"'}).status_code == 412
    assert Client().get(url, headers={"If-Match": etag}).status_code == 200
    assert Client().get(url, headers={"If-Unmodified-Since": http_date(86400)}).status_code == 412


def test_missing_file_is_404(record):
    assert Client().get(f"/records/{record.pk}/files/nothing.txt").status_code == 404
    assert Client().get(f"/records/{record.pk}/files/data/tabell.csv?version=7").status_code == 404
    assert Client().get(f"/records/{record.pk}/files/data/tabell.csv?version=draft").status_code == 404


def test_older_versions_stay_downloadable(record, depositor, open_edit, publish):
    record = open_edit(record, depositor)
    services.store_bytes(record.bucket, "data/tabell.csv", b"new,content\n", depositor)
    # Staged: the public still gets version 1; the owner can preview the staged one.
    assert body(Client().get(f"/records/{record.pk}/files/data/tabell.csv")) == DATA
    owner = Client()
    owner.force_login(depositor)
    assert body(owner.get(f"/records/{record.pk}/files/data/tabell.csv?version=draft")) == b"new,content\n"
    record = publish(record, depositor)
    assert body(Client().get(f"/records/{record.pk}/files/data/tabell.csv")) == b"new,content\n"
    assert body(Client().get(f"/records/{record.pk}/files/data/tabell.csv?version=1")) == DATA
    assert body(Client().get(f"/records/{record.pk}/files/data/tabell.csv?version=2")) == b"new,content\n"


def restricted_record(depositor, publish, **metadata):
    draft = create_draft(depositor, make_metadata(**metadata))
    services.store_bytes(draft.bucket, "secret.txt", b"the secret bytes", depositor)
    return publish(draft, depositor)


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        (
            {"access_right": "restricted", "access_conditions": "Researchers with ethics approval only."},
            "restricted",
        ),
        ({"access_right": "closed"}, "closed"),
        ({"access_right": "embargoed", "embargo_date": future(30)}, "embargo until"),
    ],
)
def test_restricted_closed_and_embargoed_files_are_refused_with_a_reason(
    depositor, outsider, staff, publish, metadata, reason
):
    record = restricted_record(depositor, publish, **metadata)
    url = f"/records/{record.pk}/files/secret.txt"
    for client in (Client(), _logged_in(outsider)):
        response = client.get(url)
        assert response.status_code == 403
        text = response.content.decode()
        assert reason in text
        assert "the secret bytes" not in text
        if metadata["access_right"] == "restricted":
            assert "Researchers with ethics approval only." in text
        assert client.get(f"/records/{record.pk}/files.zip").status_code == 403
        assert client.get(f"/api/v1/records/{record.pk}/files").status_code == 403
    for privileged in (depositor, staff):
        response = _logged_in(privileged).get(url)
        assert response.status_code == 200 and body(response) == b"the secret bytes"


def _logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_draft_files_are_404_to_everyone_but_owners(depositor, outsider):
    draft = create_draft(depositor, make_metadata())
    services.store_bytes(draft.bucket, "draft.txt", b"draft", depositor)
    url = f"/records/{draft.pk}/files/draft.txt"
    assert Client().get(url).status_code == 404
    assert _logged_in(outsider).get(url).status_code == 404
    assert body(_logged_in(depositor).get(url)) == b"draft"


def test_withdrawn_records_files_are_gone(record, staff):
    from records.services import withdraw

    withdraw(record, staff, "Duplicate of another record.")
    response = Client().get(f"/records/{record.pk}/files/data/tabell.csv")
    assert response.status_code == 410
    assert "Duplicate of another record." in response.content.decode()


def test_x_accel_redirect_hands_the_bytes_to_nginx(record, settings):
    settings.X_ACCEL_REDIRECT_PREFIX = "/protected/"
    response = Client().get(f"/records/{record.pk}/files/data/tabell.csv")
    version = services.find_version(record.bucket, "data/tabell.csv", None, privileged=False)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected/primary/{version.instance.path}"
    assert response.content == b""
    assert response["ETag"] == f'"{md5_hex(DATA)}"'
    assert response["Content-Type"] == "text/csv"


def test_download_all_streams_a_zip_of_the_current_files(record):
    response = Client().get(f"/records/{record.pk}/files.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response.streaming
    archive = zipfile.ZipFile(io.BytesIO(body(response)))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == ["data/tabell.csv", "page.html", "Överblick – rapport.pdf"]
    assert archive.read("data/tabell.csv") == DATA


def test_download_all_refuses_archives_over_the_limit(record, settings):
    settings.STORAGE_ZIP_MAX_BYTES = 100
    response = Client().get(f"/records/{record.pk}/files.zip")
    assert response.status_code == 413
    assert "one by one" in response.content.decode()


def test_if_range_with_a_date_sends_the_range_only_when_unchanged(record):
    url = f"/records/{record.pk}/files/data/tabell.csv"
    modified = Client().head(url)["Last-Modified"]
    response = Client().get(url, headers={"Range": "bytes=0-9", "If-Range": modified})
    assert response.status_code == 206 and body(response) == DATA[:10]
    response = Client().get(url, headers={"Range": "bytes=0-9", "If-Range": http_date(86400)})
    assert response.status_code == 200 and body(response) == DATA


def test_a_name_with_no_ascii_stem_keeps_its_extension_in_the_fallback():
    from storage.downloads import content_disposition

    assert content_disposition("数据.csv", inline=False) == (
        "attachment; filename=\"download.csv\"; filename*=UTF-8''%E6%95%B0%E6%8D%AE.csv"
    )
    assert content_disposition(".hidden", inline=True) == 'inline; filename=".hidden"'
    assert content_disposition('say "hi".txt', inline=False).startswith(
        'attachment; filename="say _hi_.txt"; '
    )


@pytest.mark.parametrize(
    "key",
    [
        "../../../../../../etc/passwd",
        "data/../../../../../etc/passwd",
        "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "data/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "%252e%252e/%252e%252e/etc/passwd",
        "/etc/passwd",
        "%2Fetc%2Fpasswd",
        "..%5C..%5C..%5Cetc%5Cpasswd",
        "data%5C..%5C..%5Csecret.txt",
        "C:%5Cwindows%5Cwin.ini",
        "./data/tabell.csv",
        "data/./tabell.csv",
        "data//tabell.csv",
        "data/tabell.csv%00.txt",
    ],
)
def test_path_traversal_in_the_key_never_serves_a_file_outside_the_record(record, key, primary_root):
    # A file beside the storage root, which a traversal would have to reach.
    outside = primary_root.parent / "secret.txt"
    outside.write_bytes(b"outside the storage root")
    for client in (Client(), _logged_in(record.owner)):
        response = client.get(f"/records/{record.pk}/files/{key}")
        assert response.status_code in (400, 404), key
        assert b"outside the storage root" not in body(response)
        assert b"root:" not in body(response)
