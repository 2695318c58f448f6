"""The landing page names each community the record is in exactly once; restricted communities only
for those who may see them (members and staff), also in the search filters."""

from __future__ import annotations

import pytest
from django.urls import reverse
from lxml import html

from communities.models import MemberRole, Visibility
from communities.services import create_community, set_member
from curation import services as curation


@pytest.fixture
def hidden(staff):
    return create_community(
        staff,
        slug="secret-lab",
        title="Secret Lab Collection",
        description="Members only.",
        visibility=Visibility.RESTRICTED,
    )


@pytest.fixture
def in_both(published, depositor, community, hidden, staff):
    for target in (community, hidden):
        set_member(staff, target, staff, MemberRole.CURATOR)
    curation.accept(staff, curation.request_inclusion(depositor, published, community))
    curation.accept(depositor, curation.invite(staff, published, hidden))  # members-only: by invitation
    return published


def community_links(body: str, slug: str) -> list:
    return html.fromstring(body).xpath(f'//main//a[@href="/communities/{slug}/"]')


def test_landing_page_shows_each_community_once(client, in_both, community):
    body = client.get(in_both.get_absolute_url()).content.decode()
    assert len(community_links(body, community.slug)) == 1
    main = html.tostring(html.fromstring(body).xpath("//main")[0], encoding="unicode")
    assert main.count(community.title) == 1
    page = html.fromstring(body)
    assert len(page.xpath('//h2[normalize-space()="Communities"]')) == 1


def test_restricted_community_is_named_only_to_those_who_may_see_it(
    client, client_for, in_both, hidden, staff, depositor
):
    body = client.get(in_both.get_absolute_url()).content.decode()
    assert hidden.title not in body and not community_links(body, hidden.slug)
    staff_body = client_for(staff).get(in_both.get_absolute_url()).content.decode()
    assert len(community_links(staff_body, hidden.slug)) == 1


def test_search_filters_do_not_reveal_restricted_communities(
    client, client_for, in_both, hidden, community, staff
):
    body = client.get(reverse("records:search")).content.decode()
    assert community.title in body and hidden.title not in body
    response = client.get(reverse("records:search"), {"community": hidden.slug})
    assert f'href="/records/{in_both.pk}/"' not in response.content.decode()
    staff_body = client_for(staff).get(reverse("records:search"), {"community": hidden.slug}).content.decode()
    assert f'href="/records/{in_both.pk}/"' in staff_body and hidden.title in staff_body
