from __future__ import annotations

import pytest

from previews import services

pytestmark = pytest.mark.django_db


def test_staff_see_why_a_file_has_no_preview(client_for, staff, stored):
    _record, version = stored("broken.png", b"\x89PNG not really")
    preview = services.make_preview(version.pk)
    client = client_for(staff)
    listing = client.get("/admin/previews/preview/?state=failed")
    assert listing.status_code == 200 and "not a readable image" in listing.content.decode()
    detail = client.get(f"/admin/previews/preview/{preview.pk}/change/")
    assert detail.status_code == 200 and preview.source_sha256 in detail.content.decode()
