"""Staff editing communities in the Django admin keep the site's rules: slugs, sanitised page, audit, owners."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from communities.models import Community, MemberRole, Membership

INLINE = {
    "memberships-TOTAL_FORMS": "0",
    "memberships-INITIAL_FORMS": "0",
    "memberships-MIN_NUM_FORMS": "0",
    "memberships-MAX_NUM_FORMS": "1000",
}


def community_data(**changes) -> dict:
    data = {
        "slug": "uppsala-ml",
        "title": "Uppsala ML",
        "description": "Machine learning in Uppsala.",
        "curation_policy": "",
        "website": "",
        "page_content": "<h2>About</h2><p onclick='steal()'>Hi</p><script>alert(1)</script>",
        "visibility": "public",
        "size_limit_bytes": "1000000",
        **INLINE,
    }
    data.update(changes)
    return data


def test_admin_creates_community_sanitised_and_audited(client_for, staff, depositor):
    c = client_for(staff)
    response = c.post(
        "/admin/communities/community/add/",
        community_data(
            **{
                "memberships-TOTAL_FORMS": "1",
                "memberships-0-user": str(depositor.pk),
                "memberships-0-role": MemberRole.OWNER,
            }
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    community = Community.objects.get(slug="uppsala-ml")
    assert "<script" not in community.page_content and "onclick" not in community.page_content
    assert "<h2>About</h2>" in community.page_content
    assert AuditEntry.objects.filter(verb="create_community", actor=staff).count() == 1
    assert community.is_owner(depositor)
    assert AuditEntry.objects.filter(verb="set_member", actor=staff).count() == 1


@pytest.mark.parametrize("slug, message", [("curation", "reserved word"), ("Stockholm-AI", "already exists")])
def test_admin_refuses_reserved_or_clashing_slug(client_for, staff, community, slug, message):
    response = client_for(staff).post("/admin/communities/community/add/", community_data(slug=slug))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Community.objects.count() == 1


def test_admin_edit_sanitises_and_audits(client_for, staff, community):
    data = community_data(slug="ignored", title="Stockholm AI", page_content='<a href="javascript:x()">x</a>')
    response = client_for(staff).post(f"/admin/communities/community/{community.pk}/change/", data)
    assert response.status_code == 302
    community.refresh_from_db()
    assert community.slug == "stockholm-ai"  # fixed once created
    assert community.title == "Stockholm AI" and "javascript" not in community.page_content
    assert AuditEntry.objects.filter(verb="update_community", actor=staff).count() == 1


def test_admin_cannot_remove_the_last_owner(client_for, staff, community, depositor):
    from communities.services import set_member

    owner = set_member(staff, community, depositor, MemberRole.OWNER)
    data = community_data(
        title=community.title,
        **{
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": str(owner.pk),
            "memberships-0-community": str(community.pk),
            "memberships-0-user": str(depositor.pk),
            "memberships-0-role": MemberRole.OWNER,
            "memberships-0-DELETE": "on",
        },
    )
    response = client_for(staff).post(
        f"/admin/communities/community/{community.pk}/change/", data, follow=True
    )
    assert "The community needs at least one owner." in response.content.decode()
    assert Membership.objects.filter(community=community, user=depositor, role=MemberRole.OWNER).exists()
