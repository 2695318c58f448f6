"""The community page (like the seed page), the list, creation by staff, editing by owners, members."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from communities.models import Community, MemberRole, Membership
from communities.services import set_member
from curation import services


def png(size=(800, 400), color=(200, 30, 30)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return SimpleUploadedFile("logo.png", buf.getvalue(), content_type="image/png")


def test_community_page_shows_the_seed_fields(client, community, curator):
    body = client.get(f"/communities/{community.slug}/").content.decode()
    assert community.title in body and "Curated by" in body and curator.display_name in body
    assert "Curation policy" in body and community.created.strftime("%Y") in body
    assert "Harvesting API" in body and "OAI-PMH Interface" in body
    assert "/oai2d?verb=ListRecords&amp;metadataPrefix=oai_dc&amp;set=user-stockholm-ai" in body
    assert 'href="/uploads/new/?community=stockholm-ai"' in body and "New upload" in body
    assert "Want your upload to appear in this community?" in body
    assert "stays available on this site, just not in this community" in body


def test_community_page_lists_accepted_records_newest_first_with_search_and_filters(
    client, community, curator, depositor, make_record
):
    first = make_record(depositor, title="Reinforcement learning for robots")
    second = make_record(
        depositor,
        title="Dataset of Swedish speech",
        resource_type={"type": "dataset"},
        publication_date="2021",
    )
    declined = make_record(depositor, title="Declined work on vision")
    services.accept(curator, services.request_inclusion(depositor, first, community))
    services.accept(curator, services.request_inclusion(depositor, second, community))
    services.decline(curator, services.request_inclusion(depositor, declined, community), "No")
    body = client.get(f"/communities/{community.slug}/").content.decode()
    assert body.index(second.title) < body.index(first.title)
    assert declined.title not in body
    body = client.get(f"/communities/{community.slug}/?q=robots").content.decode()
    assert first.title in body and second.title not in body
    body = client.get(f"/communities/{community.slug}/?type=dataset").content.decode()
    assert second.title in body and first.title not in body
    body = client.get(f"/communities/{community.slug}/?year=2021").content.decode()
    assert second.title in body and first.title not in body


def test_community_page_paginates(client, community, curator, depositor, make_record):
    for i in range(21):
        record = make_record(depositor, title=f"Learning paper number {i:02d}")
        services.accept(curator, services.request_inclusion(depositor, record, community))
    body = client.get(f"/communities/{community.slug}/").content.decode()
    assert "Learning paper number 20" in body and "Learning paper number 00" not in body
    assert "Page 1 of 2" in body
    body = client.get(f"/communities/{community.slug}/?page=2").content.decode()
    assert "Learning paper number 00" in body


def test_withdrawn_record_leaves_the_community_page(
    client, community, curator, depositor, make_record, staff
):
    from records.services import withdraw

    record = make_record(depositor, title="Soon withdrawn paper")
    services.accept(curator, services.request_inclusion(depositor, record, community))
    assert record.title in client.get(f"/communities/{community.slug}/").content.decode()
    withdraw(record, staff, "Copyright problem")
    assert record.title not in client.get(f"/communities/{community.slug}/").content.decode()


def test_list_shows_public_communities_with_counts(client, client_for, community, staff, outsider):
    from communities.services import create_community

    hidden = create_community(staff, slug="hidden-lab", title="Hidden Lab", visibility="restricted")
    body = client.get("/communities/").content.decode()
    assert community.title in body and "0 records" in body and hidden.title not in body
    assert client.get("/communities/hidden-lab/").status_code == 404
    set_member(staff, hidden, outsider, MemberRole.CURATOR)
    assert client_for(outsider).get("/communities/hidden-lab/").status_code == 200
    assert hidden.title in client_for(staff).get("/communities/").content.decode()


# --- creation by staff ---------------------------------------------------------------------------------


def test_staff_create_community(client_for, staff, depositor):
    c = client_for(staff)
    assert c.get("/communities/new/").status_code == 200
    response = c.post(
        "/communities/new/",
        {
            "slug": "kth-ml",
            "title": "KTH Machine Learning",
            "description": "ML at KTH",
            "curation_policy": "KTH authors only",
            "website": "https://www.kth.se",
            "page_content": "<h2>About</h2><p onclick='x()'>Hi</p><script>alert(1)</script>",
            "visibility": "public",
            "size_limit_gb": "10",
            "owner": depositor.username,
            "logo_upload": png(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    community = Community.objects.get(slug="kth-ml")
    assert community.page_content == "<h2>About</h2><p>Hi</p>"
    assert community.size_limit_bytes == 10 * 10**9
    assert community.is_owner(depositor)
    logo = client_for(depositor).get("/communities/kth-ml/logo")
    assert logo.status_code == 200
    image = Image.open(io.BytesIO(b"".join(logo.streaming_content)))
    assert image.format == "PNG" and max(image.size) == 300 and image.size == (300, 150)


@pytest.mark.parametrize(
    "slug, message",
    [
        ("stockholm-ai", "A community with the identifier “stockholm-ai” already exists."),
        ("Stockholm-AI", "A community with the identifier “stockholm-ai” already exists."),
        ("new", "“new” is a reserved word"),
        ("curation", "“curation” is a reserved word"),
        ("bad slug!", "Enter a valid “slug”"),
    ],
)
def test_slug_clash_or_reserved_word_is_a_form_error(client_for, staff, community, slug, message):
    response = client_for(staff).post(
        "/communities/new/", {"slug": slug, "title": "X", "visibility": "public"}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Community.objects.count() == 1


def test_only_staff_create_communities(client_for, curator):
    assert client_for(curator).get("/communities/new/").status_code == 403
    assert client_for(curator).post("/communities/new/", {"slug": "x-y", "title": "X"}).status_code == 403


def test_bad_logo_is_a_form_error(client_for, staff):
    fake = SimpleUploadedFile("logo.png", b"not an image", content_type="image/png")
    response = client_for(staff).post(
        "/communities/new/", {"slug": "abc", "title": "ABC", "visibility": "public", "logo_upload": fake}
    )
    assert response.status_code == 400
    assert not Community.objects.filter(slug="abc").exists()


# --- editing by owners ------------------------------------------------------------------------------


def test_owner_edits_page_and_check_rules(client_for, community, owner_user, curator):
    owner = owner_user(community)
    c = client_for(owner)
    assert c.get(f"/communities/{community.slug}/edit/").status_code == 200
    response = c.post(
        f"/communities/{community.slug}/edit/",
        {
            "c-title": "Stockholm AI",
            "c-description": "New description",
            "c-curation_policy": "Policy",
            "c-website": "https://stockholm.ai",
            "c-page_content": '<a href="javascript:alert(1)">x</a><p>More</p>',
            "c-visibility": "public",
            "c-size_limit_gb": "1.5",
            "c-logo_upload": png((100, 100)),
            "rules-affiliation_enabled": "on",
            "rules-affiliation_city": "Stockholm",
            "rules-language_enabled": "on",
            "rules-language_languages": "eng, swe, fin",
            "rules-access_access_rights": ["open", "embargoed"],
            "rules-size_enabled": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    community.refresh_from_db()
    assert community.title == "Stockholm AI" and community.size_limit_bytes == 1_500_000_000
    assert "javascript" not in community.page_content and "<p>More</p>" in community.page_content
    assert community.check_rules["language"]["languages"] == ["eng", "swe", "fin"]
    assert community.check_rules["access"] == {
        "enabled": False,
        "access_rights": ["open", "embargoed"],
        "require_license": False,
    }
    assert community.check_rules["size"]["enabled"] is False
    assert community.logo.name.endswith(".png")
    assert community.slug == "stockholm-ai"  # never changes


def test_bad_language_code_is_a_form_error(client_for, community, owner_user):
    c = client_for(owner_user(community))
    response = c.post(
        f"/communities/{community.slug}/edit/",
        {
            "c-title": "T",
            "c-visibility": "public",
            "rules-affiliation_city": "Stockholm",
            "rules-language_languages": "english",
            "rules-access_access_rights": ["open"],
        },
    )
    assert response.status_code == 400
    assert "“english” is not an ISO 639-3 language code." in response.content.decode()


def test_curators_and_others_cannot_edit(client_for, community, curator, outsider):
    assert client_for(curator).get(f"/communities/{community.slug}/edit/").status_code == 403
    assert client_for(outsider).get(f"/communities/{community.slug}/members/").status_code == 403


def test_owner_manages_members(client_for, community, owner_user, outsider, curator):
    owner = owner_user(community)
    c = client_for(owner)
    response = c.post(f"/communities/{community.slug}/members/", {"user": outsider.email, "role": "curator"})
    assert response.status_code == 302
    assert community.is_curator(outsider)
    response = c.post(f"/communities/{community.slug}/members/", {"user": "nobody", "role": "curator"})
    assert response.status_code == 400 and "There is no user “nobody”." in response.content.decode()
    c.post(f"/communities/{community.slug}/members/{outsider.pk}/", {"action": "role", "role": "owner"})
    assert community.is_owner(outsider)
    c.post(f"/communities/{community.slug}/members/{curator.pk}/", {"action": "remove"})
    assert not community.is_curator(curator)
    # the last owner stays
    c.post(f"/communities/{community.slug}/members/{outsider.pk}/", {"action": "remove"})
    response = c.post(f"/communities/{community.slug}/members/{owner.pk}/", {"action": "remove"}, follow=True)
    assert "The community needs at least one owner." in response.content.decode()
    assert Membership.objects.filter(community=community, role="owner").count() == 1


def test_community_page_and_list_query_counts_do_not_grow(
    client, community, curator, depositor, make_record, django_assert_max_num_queries
):
    for i in range(5):
        record = make_record(depositor, title=f"Counting queries paper {i}")
        services.accept(curator, services.request_inclusion(depositor, record, community))
    with django_assert_max_num_queries(8):
        body = client.get(f"/communities/{community.slug}/").content.decode()
    assert body.count("community-record") == 5
    with django_assert_max_num_queries(5):
        assert "5 records" in client.get("/communities/").content.decode()


def test_edit_form_shows_the_size_limit_in_plain_digits(client_for, community, owner_user):
    body = client_for(owner_user(community)).get(f"/communities/{community.slug}/edit/").content.decode()
    assert 'name="c-size_limit_gb" value="50"' in body  # not "5E+1"


def test_page_content_opens_under_read_more_and_filters_say_how_many_match(
    client, community, curator, depositor, make_record, staff
):
    from communities.services import update_community

    update_community(
        staff, community, page_content="<h2>Full Policy</h2><p>Scope: AI.</p><script>x()</script>"
    )
    record = make_record(depositor, title="Reinforcement learning for robots")
    services.accept(curator, services.request_inclusion(depositor, record, community))
    body = client.get(f"/communities/{community.slug}/").content.decode()
    assert '<details class="page-content" id="read-more"><summary>Read more</summary>' in body
    assert "<h2>Full Policy</h2><p>Scope: AI.</p>" in body and "x()" not in body
    assert 'id="records-found"' not in body
    body = client.get(f"/communities/{community.slug}/?q=robots").content.decode()
    assert "1 record matches." in body
    body = client.get(f"/communities/{community.slug}/?q=nothing-like-this").content.decode()
    assert "0 records match." in body and "No records found." in body


def test_seed_fixture_page_content_is_the_full_policy_and_safe():
    import json
    from pathlib import Path

    from communities.services import sanitize_page_content

    data = json.loads(Path("communities/fixtures/stockholm-ai.json").read_text(encoding="utf-8"))
    assert "Full Policy" in data["page_content"] and "Access and Reuse" in data["page_content"]
    assert sanitize_page_content(data["page_content"]) == data["page_content"]
