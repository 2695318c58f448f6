"""Every filename rule, through the service and through the API (a 400 naming the rule)."""

from __future__ import annotations

import unicodedata

import pytest

from storage import services
from storage.models import Upload


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("", "required"),
        ("data/../etc/passwd", "“..” segments"),
        ("..", "“..” segments"),
        ("..\\..\\evil.bat", "“..” segments"),  # a zip slip for Windows archive tools
        ("data/a\\..\\b.txt", "“..” segments"),
        ("/etc/passwd", "Absolute paths"),
        ("\\\\server\\share", "Absolute paths"),
        ("C:\\data.txt", "Absolute paths"),
        ("bad\x00name.txt", "NUL or control characters"),
        ("tab\tname.txt", "NUL or control characters"),
        ("line\nbreak.txt", "NUL or control characters"),
        ("del\x7f.txt", "NUL or control characters"),
        ("c1\x85.txt", "NUL or control characters"),
        ("invoice\u202etxt.exe", "NUL or control characters"),
        ("isolate\u2066.pdf", "NUL or control characters"),
        ("a" * 256, "at most 255 bytes"),
        ("å" * 128, "at most 255 bytes"),  # 256 bytes in UTF-8
        ("/".join(["d" * 200] * 6), "at most 1024 bytes"),
        ("folder//file.txt", "Empty folder names"),
        ("folder/", "Empty folder names"),
        ("./file.txt", "“.” segments"),
    ],
)
def test_invalid_names_are_refused_with_the_rule(key, rule):
    with pytest.raises(services.InvalidKey) as caught:
        services.validate_key(key)
    assert rule in caught.value.message


@pytest.mark.parametrize(
    "key",
    [
        "data.csv",
        "folder/sub folder/file name with spaces.txt",
        "résumé.pdf",
        "日本語のファイル.txt",
        "emoji-🎉.png",
        "a" * 255,
        "å" * 127 + "a",  # 255 bytes
        ".hidden",
        "...",
        "name..with..dots",
        "back\\slash..\\name.txt",  # a backslash is an ordinary character; "..\\" only as a segment is not
        "/".join(["d" * 200] * 5),  # 1004 bytes
    ],
)
def test_valid_names_are_accepted(key):
    assert services.validate_key(key) == unicodedata.normalize("NFC", key)


def test_names_are_nfc_normalised(draft, depositor):
    decomposed = "Cafe\u0301/re\u0301sume\u0301.txt"
    version = services.store_bytes(draft.bucket, decomposed, b"x", depositor)
    assert version.file.key == "Café/résumé.txt"
    assert unicodedata.is_normalized("NFC", version.file.key)


def test_the_api_names_the_rule_and_stores_nothing(draft, depositor, client_for):
    client = client_for(depositor)
    response = client.post(
        f"/api/v1/records/{draft.pk}/uploads",
        {"key": "../escape.txt", "size": 3},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "“..” segments" in response.json()["message"]
    assert response.json()["code"] == "invalid_key"
    assert not Upload.objects.exists()
    response = client.put(
        f"/api/v1/records/{draft.pk}/files/{'x' * 300}", b"abc", content_type="application/octet-stream"
    )
    assert response.status_code == 400
    assert "at most 255 bytes" in response.json()["message"]
