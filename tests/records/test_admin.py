"""The Django admin shows records but changes them only through the records verbs."""

import pytest

from audit.models import AuditEntry
from records import services


@pytest.fixture
def admin_client(client, staff):
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    client.force_login(staff)
    return client


@pytest.fixture
def record(depositor, valid_metadata):
    return services.publish(
        services.create_draft(depositor, valid_metadata), depositor, declaration_accepted=True
    )


def test_records_cannot_be_added_or_deleted_in_the_admin(admin_client, record):
    assert admin_client.get("/admin/records/record/add/").status_code == 403
    assert admin_client.get(f"/admin/records/record/{record.pk}/delete/").status_code == 403
    response = admin_client.post(
        "/admin/records/record/", {"action": "delete_selected", "_selected_action": [record.pk]}
    )
    record.refresh_from_db()  # still there
    assert response.status_code in (200, 302)


def test_lifecycle_fields_are_read_only(admin_client, record):
    page = admin_client.get(f"/admin/records/record/{record.pk}/change/").content.decode()
    for field in ("state", "doi", "published_at", "metadata", "datestamp"):
        assert f'name="{field}"' not in page, field
    assert 'name="owner"' in page


def test_owner_changes_through_the_verb_with_an_audit_entry(admin_client, record, outsider, staff):
    inline = {"revisions-TOTAL_FORMS": 0, "revisions-INITIAL_FORMS": 0}  # the read-only revisions inline
    response = admin_client.post(
        f"/admin/records/record/{record.pk}/change/", {"owner": outsider.pk, **inline}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.owner == outsider and record.state == "published"
    entry = AuditEntry.objects.get(verb="change_owner", object_id=str(record.pk))
    assert (
        entry.actor == staff
        and entry.before == {"owner": "depositor"}
        and entry.after == {"owner": "outsider"}
    )


def test_only_staff_change_owners(record, outsider):
    with pytest.raises(services.RecordError):
        services.change_owner(record, outsider, outsider)
