"""End to end with a real Celery worker: an upload's preview is queued on commit and made by the worker
(its renderer a child of the worker process)."""

from __future__ import annotations

import pytest

from previews.models import Preview, PreviewState
from records.services import create_draft
from tests.previews import files
from tests.records.conftest import make_metadata


@pytest.mark.worker
def test_the_worker_makes_the_preview_of_an_uploaded_file(celery_worker, depositor, client_for):
    record = create_draft(depositor, make_metadata())
    client = client_for(depositor)
    response = client.put(
        f"/api/v1/records/{record.pk}/files/paper.pdf", files.pdf(), content_type="application/pdf"
    )
    assert response.status_code == 201, response.content

    def ready() -> bool:
        return Preview.objects.filter(version__file__key="paper.pdf", state=PreviewState.READY).exists()

    assert celery_worker.wait_until(ready, timeout=120)
    thumbnail = client.get(f"/records/{record.pk}/preview/paper.pdf?kind=thumbnail")
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    assert thumbnail.content[:3] == b"\xff\xd8\xff"
