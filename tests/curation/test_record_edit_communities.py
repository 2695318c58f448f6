"""The seed page's way for an existing record: edit it, add the community under "Communities", save, publish.

The edit form offers the communities the owner can see and the record is not already in (or waiting for),
says where the record already is, and publishing the edit opens the inclusion request.
"""

from __future__ import annotations

import re

from django.core import mail

from communities.models import Visibility
from communities.services import create_community
from curation import services
from curation.models import InclusionRequest

EDIT_FORM = {
    "resource_type": "publication",
    "publication_type": "article",
    "title": "Deep learning for protein folding in Stockholm",
    "publication_date": "2024-05-01",
    "creators-0-type": "personal",
    "creators-0-family_name": "Depositor",
    "creators-0-given_name": "Erik",
    "creators-0-affiliations-0-name": "KTH Royal Institute of Technology",
    "description": "<p>We study how neural networks predict the structure of proteins.</p>",
    "languages": ["eng"],
    "access_right": "open",
    "license": "CC-BY-4.0",
}


def checkbox(body: str, slug: str) -> bool:
    return re.search(rf'name="communities" value="{slug}"', body) is not None


def test_existing_record_joins_through_edit_and_publish(
    client_for, depositor, curator, community, make_record, django_capture_on_commit_callbacks
):
    record = make_record(depositor)
    c = client_for(depositor)
    body = c.get(f"/records/{record.pk}/edit/").content.decode()
    assert checkbox(body, community.slug)

    response = c.post(
        f"/records/{record.pk}/edit/", {**EDIT_FORM, "communities": [community.slug], "action": "publish"}
    )
    assert response.status_code == 302 and response["Location"] == f"/records/{record.pk}/publish/"
    assert not InclusionRequest.objects.exists()  # only a wish until the edit is published
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(f"/records/{record.pk}/publish/", {"declaration": "on"})
    assert response.status_code == 302
    req = InclusionRequest.objects.get(record=record, community=community)
    assert req.state == "submitted" and req.created_by == depositor and req.checks_status == "pass"
    assert [m.to for m in mail.outbox] == [[curator.email]]

    # While it waits, and once it is in, the community is no longer a choice, and the form says why.
    body = c.get(f"/records/{record.pk}/edit/").content.decode()
    assert not checkbox(body, community.slug)
    assert "Waiting for a decision: Stockholm AI Scientific Repository." in body
    services.accept(curator, req)
    body = c.get(f"/records/{record.pk}/edit/").content.decode()
    assert not checkbox(body, community.slug)
    assert "Already in: Stockholm AI Scientific Repository." in body


def test_form_offers_only_communities_the_user_can_see(client_for, depositor, staff, community):
    hidden = create_community(staff, slug="secret-lab", title="Secret Lab", visibility=Visibility.RESTRICTED)
    body = client_for(depositor).get("/uploads/new/").content.decode()
    assert checkbox(body, community.slug)
    assert not checkbox(body, hidden.slug) and "Secret Lab" not in body
    assert checkbox(client_for(staff).get("/uploads/new/").content.decode(), hidden.slug)


def test_community_page_explains_both_ways_that_exist(client, community):
    body = client.get(f"/communities/{community.slug}/").content.decode()
    assert 'href="/uploads/new/?community=stockholm-ai"' in body
    assert "ask this community to include it in its “Communities” section" in body
    assert "edit the record, add this community, and publish" in body
