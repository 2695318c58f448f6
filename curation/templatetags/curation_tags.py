from django import template

from communities.models import Community
from curation import notifications
from curation.forms import RequestInclusionForm
from curation.models import InclusionRequest, RequestState
from curation.services import accepted_communities
from records.vocabularies import ACCESS_LABELS, resource_type_label
from storage.sizes import format_size

register = template.Library()


@register.filter
def size(value) -> str:
    """Bytes in decimal units (50 GB = 50 × 10⁹ bytes), as the policies state their limits."""
    try:
        return format_size(int(value))
    except (TypeError, ValueError):
        return ""


@register.filter
def audit_verb(verb: str) -> str:
    """A request's audit verb as words."""
    from django.utils.translation import gettext as _

    labels = {
        "request_inclusion": _("asked for inclusion"),
        "invite": _("invited the record"),
        "comment": _("wrote a message"),
        "accept": _("accepted"),
        "decline": _("declined"),
        "cancel": _("cancelled"),
        "remove": _("removed the record from the community"),
        "expire": _("expired without a decision"),
        "recheck": _("ran the checks again"),
    }
    return labels.get(verb, verb)


@register.filter
def notification_summary(notification) -> str:
    return notifications.summary(notification)


@register.filter
def notification_detail_label(notification) -> str:
    return notifications.detail_label(notification)


@register.inclusion_tag("curation/record_communities_panel.html", takes_context=True)
def record_communities_panel(context, record):
    """The landing page's Communities section: where the record is, and (for its owners and curators) the forms."""

    request = context.get("request")
    user = getattr(request, "user", None)
    visible = set(Community.objects.visible_to(user).values_list("pk", flat=True)) if user else set()
    communities = [c for c in accepted_communities(record) if c.pk in visible]  # restricted: members only
    is_owner = bool(user and record.is_owner(user))
    published = record.is_published()
    ctx = {"record": record, "communities": communities, "is_owner": is_owner, "request": request}
    if not user or not user.is_authenticated or not published:
        return ctx
    member_ids = {c.pk for c in communities}
    open_ids = set(
        InclusionRequest.objects.open().filter(record=record).values_list("community_id", flat=True)
    )
    if is_owner:
        ctx["requests"] = (
            InclusionRequest.objects.filter(record=record)
            .exclude(state=RequestState.ACCEPTED)
            .select_related("community")
            .order_by("-created")[:20]
        )
        available = Community.objects.visible_to(user).exclude(pk__in=member_ids | open_ids)
        if available.exists():
            ctx["request_form"] = RequestInclusionForm(communities=available, auto_id="id_rc_%s")
    invitable = Community.objects.curated_by(user).exclude(pk__in=member_ids | open_ids)
    ctx["invite_communities"] = list(invitable)
    return ctx


@register.filter
def type_label(record) -> str:
    """The record's resource type (and subtype) in words, in the reader's language."""
    return resource_type_label(record.resource_type, record.resource_subtype) if record.resource_type else ""


@register.filter
def access_label(record) -> str:
    return str(ACCESS_LABELS.get(record.access_right, record.access_right))
