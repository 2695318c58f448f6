"""Fetch-plus-permission for curation's nouns: one helper each, used by the pages and the API alike.

They raise Django's ``Http404`` and ``PermissionDenied``; DRF turns both into its own 404 and 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from communities.models import Community
from curation.models import InclusionRequest


def get_community_for_curator(user, slug: str) -> Community:
    """The community if ``user`` curates it; 404 if they may not even see it, else 403."""
    community = get_object_or_404(Community, slug=slug)
    if not community.is_curator(user):
        if not community.is_visible_to(user):
            raise Http404
        raise PermissionDenied(_("Only the community's owners and curators see its curation queue."))
    return community


def get_request_for_user(user, pk: int) -> InclusionRequest:
    """The request if ``user`` is one of its parties (owners, curators) or staff; else 404, the same
    answer as for a request that does not exist (a 403 would tell which ones do)."""
    req = (
        InclusionRequest.objects.select_related(
            "record", "record__owner", "community", "created_by", "decided_by"
        )
        .filter(pk=pk)
        .first()
    )
    if req is None or not req.can_view(user):
        raise Http404(_("No such request."))
    return req
