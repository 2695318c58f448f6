from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from communities.models import Community, MemberRole


def community_list(request):
    page = Paginator(Community.objects.order_by("title"), 20).get_page(request.GET.get("page"))
    return render(request, "communities/list.html", {"page": page})


def community_detail(request, slug: str):
    community = get_object_or_404(Community, slug=slug)
    curators = community.memberships.filter(role__in=[MemberRole.OWNER, MemberRole.CURATOR]).select_related("user")
    return render(request, "communities/detail.html", {"community": community, "curators": curators})
