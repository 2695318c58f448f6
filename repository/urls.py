from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from repository import views

urlpatterns = [
    path("", views.home, name="home"),
    path("policies/", views.policies, name="policies"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("communities/", include("communities.urls")),
    path("", include("records.urls")),
    path("records/<int:pk>/export/", include("records.exports.urls")),
    path("", include("records.files_urls")),
    path("", include("curation.urls")),
    path("", include("oaipmh.urls")),
    path("", include("aitools.urls")),
    path("api/v1/", include("accounts.api_urls")),
    path("api/", include("zenodo.urls")),
    path("api/schema", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script from a URL (no inline script for the CSP); GET only:
    # DRF's OPTIONS answer has no template for the Swagger page's HTML renderer (was a 500)
    path(
        "api/docs",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", http_method_names=["get", "head"]),
        name="api-docs",
    ),
    path("staff/", include("staff.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "repository.views.error_400"
handler403 = "repository.views.error_403"
handler404 = "repository.views.error_404"
handler500 = "repository.views.error_500"
