from django.db import transaction

from communities.models import Community, MemberRole, Membership
from repository.audit import audit


def create_community(actor, *, slug: str, title: str, description: str = "", curation_policy: str = "") -> Community:
    with transaction.atomic():
        community = Community.objects.create(
            slug=slug, title=title, description=description, curation_policy=curation_policy
        )
        audit(actor, "create_community", community, after={"slug": slug, "title": title})
    return community


def set_member(actor, community: Community, user, role: str = MemberRole.CURATOR) -> Membership:
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(community=community, user=user, defaults={"role": role})
        before = None if created else {"user": user.username, "role": membership.role}
        if not created and membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
        audit(actor, "set_member", community, before=before, after={"user": user.username, "role": role})
    return membership
