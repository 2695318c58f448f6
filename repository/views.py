from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from communities.models import Community
from records.models import Record
from repository.services import broker_reachable

CONTENT_DIR = Path(__file__).resolve().parent / "content"


def home(request):
    communities = Community.objects.order_by("title")[:12]
    latest = Record.objects.published().order_by("-published_at")[:10]
    context = {"communities": communities, "latest_records": latest}
    return render(request, "repository/home.html", context)


# Crawlers index landing pages (listed in the sitemap), not search results, accounts or staff pages.
ROBOTS_DISALLOW = ("/search/", "/accounts/", "/uploads/", "/staff/", "/admin/", "/review/")


@require_safe
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), ""]
    lines.append(f"Sitemap: {settings.SITE_URL}{reverse('records:sitemap_index')}")
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def policies(request):
    text = (CONTENT_DIR / "stockholm-ai-policy.txt").read_text(encoding="utf-8")
    sections = parse_policy(text)
    return render(request, "repository/policies.html", {"sections": sections})


def parse_policy(text: str) -> list[dict[str, Any]]:
    """Split the plain-text policy into titled sections of (term, text) items for display."""
    sections: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("•"):
            item = line.lstrip("• ").strip()
            term, _, rest = item.partition(":")
            if current is None:
                current = {"title": "", "items": [], "paragraphs": []}
                sections.append(current)
            current["items"].append({"term": term.strip() if rest else "", "text": rest.strip() or item})
        elif len(line) < 60 and not line.endswith("."):
            current = {"title": line, "items": [], "paragraphs": []}
            sections.append(current)
        else:
            if current is None:
                current = {"title": "", "items": [], "paragraphs": []}
                sections.append(current)
            current["paragraphs"].append(line)
    return sections


@never_cache
def healthz(request):
    """Liveness plus database and broker reachability, for compose healthchecks."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # any driver error means "unreachable" here
        return f"error: {exc.__class__.__name__}"


def _check_broker() -> str:
    ok, reason = broker_reachable(timeout=2)
    return "ok" if ok else f"error: {reason}"


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    return render(request, "500.html", status=500)


def error_403(request, exception=None):
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def error_400(request, exception=None):
    return render(request, "400.html", status=400)
