from __future__ import annotations

import io
import uuid
from typing import IO, Any

from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import ImageOps

from accounts.models import User
from audit.services import audit
from communities.models import Community, MemberRole, Membership


def create_community(
    actor: User | AnonymousUser | None,
    *,
    slug: str,
    title: str,
    description: str = "",
    curation_policy: str = "",
    owner: User | None = None,
    logo: IO[bytes] | None = None,
    **settings: Any,
) -> Community:
    """A new community (staff create them). ``settings``: any of EDITABLE; ``owner`` gets the owner role."""
    unknown = set(settings) - set(EDITABLE) - {"check_rules"}
    if unknown:
        raise CommunityError(_("Unknown field: %(field)s") % {"field": ", ".join(sorted(unknown))})
    if "page_content" in settings:
        settings["page_content"] = sanitize_page_content(settings["page_content"])
    with transaction.atomic():
        community = Community.objects.create(
            slug=slug, title=title, description=description, curation_policy=curation_policy, **settings
        )
        audit(actor, "create_community", community, after={"slug": slug, "title": title})
        if owner is not None:
            set_member(actor, community, owner, MemberRole.OWNER)
        if logo is not None:
            update_community(actor, community, logo=logo)
    return community


def set_member(
    actor: User | AnonymousUser | None, community: Community, user: User, role: str = MemberRole.CURATOR
) -> Membership:
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            community=community, user=user, defaults={"role": role}
        )
        before = None if created else {"user": user.username, "role": membership.role}
        if not created and membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
        audit(actor, "set_member", community, before=before, after={"user": user.username, "role": role})
    return membership


# --- Page content, logo, settings and members (owners and staff) --------------------------------------

PAGE_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "a",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "code",
    "pre",
    "hr",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "sub",
    "sup",
}
PAGE_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "th": {"scope"}}
LOGO_SIZE = (300, 300)


class CommunityError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sanitize_page_content(value: str) -> str:
    """The community page's rich text, made safe: no scripts, event attributes or ``javascript:`` links."""
    import nh3

    return nh3.clean(
        value or "",
        tags=PAGE_TAGS,
        attributes=PAGE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


def resize_logo(uploaded: IO[bytes]) -> ContentFile:
    """The uploaded image as a PNG of at most 300×300 pixels; raises CommunityError for anything else."""
    from PIL import Image, UnidentifiedImageError

    try:
        uploaded.seek(0)
        with Image.open(uploaded) as probe:
            probe.verify()
        uploaded.seek(0)
        with Image.open(uploaded) as image:
            if image.width * image.height > 40_000_000:
                raise CommunityError(_("The image is too large (more than 40 megapixels)."))
            logo = ImageOps.exif_transpose(image).convert("RGBA")
            logo.thumbnail(LOGO_SIZE, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            logo.save(out, format="PNG", optimize=True)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise CommunityError(_("The logo must be an image (PNG, JPEG, GIF or WebP)."))
    return ContentFile(out.getvalue())


EDITABLE = (
    "title",
    "description",
    "curation_policy",
    "website",
    "page_content",
    "visibility",
    "size_limit_bytes",
)


def update_community(
    actor: User | AnonymousUser | None,
    community: Community,
    *,
    logo: IO[bytes] | None = None,
    remove_logo: bool = False,
    **fields: Any,
) -> Community:
    """Change the community's page and settings; ``page_content`` is sanitised, ``logo`` resized."""
    unknown = set(fields) - set(EDITABLE) - {"check_rules"}
    if unknown:
        raise CommunityError(_("Unknown field: %(field)s") % {"field": ", ".join(sorted(unknown))})
    if "page_content" in fields:
        fields["page_content"] = sanitize_page_content(fields["page_content"])
    resized = resize_logo(logo) if logo is not None else None
    with transaction.atomic():
        locked = Community.objects.select_for_update().get(pk=community.pk)
        before = {name: getattr(locked, name) for name in fields}
        for name, value in fields.items():
            setattr(locked, name, value)
        changed = list(fields)
        if resized is not None or remove_logo:
            old = locked.logo.name if locked.logo else ""
            if resized is not None:
                name = f"{locked.slug}-{uuid.uuid4().hex[:8]}.png"
                locked.logo.save(name, resized, save=False)
            else:
                locked.logo = ""
            changed.append("logo")
            before["logo"] = old
            fields = {**fields, "logo": locked.logo.name if locked.logo else ""}
            if old:
                transaction.on_commit(lambda: default_storage.delete(old))
        if changed:
            locked.save(update_fields=changed)
            audit(actor, "update_community", locked, before=before, after=fields)
    for name in changed:
        setattr(community, name, getattr(locked, name))
    return community


def remove_member(actor: User | AnonymousUser | None, community: Community, user: User) -> None:
    """Take a user's role away; the last owner cannot be removed (someone must manage the community)."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(community=community, user=user).first()
        if membership is None:
            raise CommunityError(_("%(user)s is not a member.") % {"user": user.username})
        if membership.role == MemberRole.OWNER and _owner_count(community) <= 1:
            raise CommunityError(_("The community needs at least one owner."))
        membership.delete()
        audit(actor, "remove_member", community, before={"user": user.username, "role": membership.role})


def change_role(
    actor: User | AnonymousUser | None, community: Community, user: User, role: str
) -> Membership:
    if role not in MemberRole.values:
        raise CommunityError(_("Unknown role."))
    membership = Membership.objects.filter(community=community, user=user).first()
    if membership is None:
        raise CommunityError(_("%(user)s is not a member.") % {"user": user.username})
    if membership.role == MemberRole.OWNER and role != MemberRole.OWNER and _owner_count(community) <= 1:
        raise CommunityError(_("The community needs at least one owner."))
    return set_member(actor, community, user, role)


def _owner_count(community: Community) -> int:
    return Membership.objects.filter(community=community, role=MemberRole.OWNER).count()
