from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from communities.models import Community
from records.exports.registry import export_formats
from records.models import Record
from records.vocabularies import ACCESS_LABELS, resource_type_label
from repository.services import broker_reachable


def home(request):
    communities = Community.objects.order_by("title")[:12]
    latest = list(Record.objects.published().order_by("-published_at")[:10])
    for record in latest:  # the badges the search results show too
        record.type_label = resource_type_label(record.resource_type, record.resource_subtype)
        record.access_label = ACCESS_LABELS.get(record.access_right, "")
    context = {"communities": communities, "latest_records": latest}
    return render(request, "repository/home.html", context)


# Crawlers index landing pages (listed in the sitemap), not search results, accounts or staff pages.
ROBOTS_DISALLOW = ("/search/", "/accounts/", "/uploads/", "/staff/", "/admin/", "/review/")


@require_safe
def favicon(request):
    """Browsers and crawlers that ask for /favicon.ico get the site's icon (an SVG)."""
    response = HttpResponseRedirect(static("favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), ""]
    lines.append(f"Sitemap: {settings.SITE_URL}{reverse('records:sitemap_index')}")
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


LOCATION_KINDS = {"file": _("a disk of this server"), "s3": _("S3 object storage")}


def policy_facts() -> dict[str, Any]:
    """What the policy page states about this installation, from its running configuration: it never
    promises more copies, checks or space than the installation has."""
    locations = [
        {"name": name, "kind": LOCATION_KINDS.get(urlsplit(url).scheme, urlsplit(url).scheme)}
        for name, url in settings.STORAGE_LOCATIONS
    ]
    return {
        "locations": locations,
        "copies": len(locations),
        "fixity_days": settings.FIXITY_CYCLE_DAYS,
        "quota_bytes": settings.RECORD_QUOTA_BYTES,
        "max_files": settings.RECORD_MAX_FILES,
        "backups": settings.BACKUP_DESCRIPTION,
        "export_formats": [fmt.label for fmt in export_formats().values()],
        "communities": Community.objects.order_by("title"),
    }


def policies(request):
    """The portal's own policy: ``repository/policies.html`` (Swedish: ``repository/policies_sv.html``),
    which an operator replaces with a template of the same name in ``TEMPLATE_OVERRIDE_DIR``."""
    names = ["repository/policies.html"]
    if (get_language() or "").startswith("sv"):
        names.insert(0, "repository/policies_sv.html")
    return render(request, names, policy_facts())


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
