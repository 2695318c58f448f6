from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseNotAllowed, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from oaipmh import verbs


def base_url() -> str:
    return f"{settings.SITE_URL}/oai2d"


@csrf_exempt
def endpoint(request):
    """The OAI-PMH base URL: GET (query string) or POST (form); protocol errors are HTTP 200."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    params = request.POST if request.method == "POST" else request.GET
    chunks = verbs.handle(dict(params.lists()), base_url())
    response = StreamingHttpResponse(
        (chunk.encode("utf-8") for chunk in chunks), content_type="text/xml; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    return response
