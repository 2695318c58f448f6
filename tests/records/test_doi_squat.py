"""DOI squatting (issue #10): this repository's prefix and DataCite's test prefix cannot be claimed as
an external DOI, /doi/ resolves only DOIs minted here, and an old squat never blocks a publication."""

from __future__ import annotations

import pytest
from django.test import override_settings

from records import services
from records.doi import get_provider
from records.models import Record
from tests.records.conftest import make_metadata

pytestmark = pytest.mark.django_db


def test_a_private_draft_cannot_claim_the_next_local_doi(depositor, outsider):
    victim = services.create_draft(depositor, make_metadata())
    victims_doi = get_provider().doi_for(victim)  # the DOI it gets when published
    with pytest.raises(services.InvalidMetadata) as caught:
        services.create_draft(outsider, make_metadata(), external_doi=victims_doi)
    assert caught.value.errors[0].code == "reserved"
    assert "minted by this repository" in caught.value.errors[0].message
    assert Record.objects.count() == 1
    services.publish(victim, depositor)
    assert victim.doi == victims_doi and not victim.doi_is_external


@pytest.mark.parametrize("doi", ["10.5072/anything.1", "https://doi.org/10.5072/X.2", "10.9999/mine.3"])
@override_settings(DOI_PREFIX="10.9999")
def test_the_own_and_the_test_prefix_are_reserved(depositor, doi):
    draft = services.create_draft(depositor, make_metadata())
    with pytest.raises(services.InvalidMetadata):
        services.update_metadata(draft, depositor, draft.metadata, external_doi=doi)
    draft.refresh_from_db()
    assert draft.doi == ""


def test_the_web_form_shows_the_refusal(client_for, depositor):
    from tests.records.test_deposit_views import FORM

    response = client_for(depositor).post("/uploads/new/", {**FORM, "external_doi": "10.5072/x.1"})
    assert response.status_code == 200
    assert "minted by this repository" in response.content.decode()
    assert not Record.objects.exists()


def test_an_old_squat_is_released_when_the_victim_publishes(depositor, outsider):
    victim = services.create_draft(depositor, make_metadata())
    squatter = services.create_draft(outsider, make_metadata())
    # as an older version allowed: the outsider's draft holds the victim's future DOI
    Record.objects.filter(pk=squatter.pk).update(doi=get_provider().doi_for(victim), doi_is_external=True)
    services.publish(victim, depositor)
    assert victim.doi == get_provider().doi_for(victim)
    squatter.refresh_from_db()
    assert squatter.doi == "" and not squatter.doi_is_external


def test_doi_resolves_only_minted_dois(client, depositor, outsider):
    external = services.publish(
        services.create_draft(outsider, make_metadata(), external_doi="10.1000/real.paper"), outsider
    )
    assert client.get("/doi/10.1000/real.paper").status_code == 404
    page = client.get(f"/records/{external.pk}/").content.decode()
    assert "https://doi.org/10.1000/real.paper" in page
    minted = services.publish(services.create_draft(depositor, make_metadata()), depositor)
    response = client.get(f"/doi/{minted.doi}")
    assert response.status_code == 302 and response["Location"] == f"/records/{minted.pk}/"
