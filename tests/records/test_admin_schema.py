"""Admin pages and the OpenAPI schema include the records app without errors."""

from __future__ import annotations

from django.urls import reverse


def test_admin_lists_and_shows_records(client_for, staff, published):
    c = client_for(staff)
    response = c.get(reverse("admin:records_record_changelist"))
    assert response.status_code == 200 and published.doi in response.content.decode()
    assert c.get(reverse("admin:records_record_change", args=[published.pk])).status_code == 200


def test_admin_action_lifts_due_embargoes(client_for, staff, published):
    from records.models import Record

    Record.objects.filter(pk=published.pk).update(
        metadata={**published.metadata, "access_right": "embargoed", "embargo_date": "2000-01-01"}
    )
    response = client_for(staff).post(
        reverse("admin:records_record_changelist"),
        {"action": "lift_embargoes", "_selected_action": [published.pk]},
    )
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.metadata["access_right"] == "open"


def test_openapi_schema_lists_the_records_api(client):
    response = client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/api/v1/records/{id}/actions/{action}" in body and "/api/v1/records/{id}/revisions" in body
