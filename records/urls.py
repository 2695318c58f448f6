from django.urls import path

from records import api, sitemaps, views, withdrawal_views

app_name = "records"

urlpatterns = [
    path("uploads/", views.uploads, name="uploads"),
    path("uploads/new/", views.new_upload, name="new_upload"),
    path("records/<int:pk>/", views.detail, name="detail"),
    path("records/<int:pk>/linkset", views.linkset, name="linkset"),
    path("records/<int:pk>/edit/", views.edit, name="edit"),
    path("records/<int:pk>/edit/discard/", views.discard, name="discard"),
    path("records/<int:pk>/publish/", views.publish, name="publish"),
    path("records/<int:pk>/revisions/<int:number>/", views.revision, name="revision"),
    path("records/<int:pk>/creators/", views.creators, name="creators"),
    path("records/<int:pk>/owners/", views.owners, name="owners"),
    path("records/<int:pk>/withdrawal/", withdrawal_views.withdrawal, name="withdrawal"),
    path("records/<int:pk>/report/", withdrawal_views.report, name="report"),
    path("records/<int:pk>/quota/", withdrawal_views.quota, name="quota"),
    path("records/invitations/<str:token>/", views.invitation, name="invitation"),
    path("sitemap.xml", sitemaps.sitemap_index, name="sitemap_index"),
    path("sitemaps/records-<int:first_id>.xml", sitemaps.sitemap, name="sitemap"),
    path("search/", views.search_page, name="search"),
    path("doi/<path:doi>", views.resolve_doi, name="doi"),
    # the native REST API (INTERFACES.md: /api/v1/…)
    path("api/v1/records", api.RecordListView.as_view(), name="api-list"),
    path("api/v1/records/<int:pk>", api.RecordDetailView.as_view(), name="api-detail"),
    path("api/v1/records/<int:pk>/revisions", api.RevisionListView.as_view(), name="api-revisions"),
    path("api/v1/records/<int:pk>/stats", api.RecordStatsView.as_view(), name="api-stats"),
    path("api/v1/records/<int:pk>/actions/<str:action>", api.RecordActionView.as_view(), name="api-action"),
]
