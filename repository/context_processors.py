from django.conf import settings
from django.urls import NoReverseMatch, reverse

from communities.models import Community


def _url(name: str, *args) -> str | None:
    """The URL of a page, or None while that page does not exist yet (its link is then hidden)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def site(request):
    user = getattr(request, "user", None)
    curated = []
    if user is not None and user.is_authenticated:
        curated = list(Community.objects.curated_by(user).values("slug", "title"))
    nav = {
        "communities": _url("communities:list"),
        "search": _url("records:search"),
        "new_upload": _url("records:new_upload"),
        "my_uploads": _url("records:uploads"),
        "inbox": _url("curation:inbox"),
        "oai": _url("oaipmh:endpoint"),
    }
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "csp_nonce": getattr(request, "csp_nonce", ""),  # for an inline <script nonce="…">
        "curated_communities": curated,
        "nav": nav,
    }
