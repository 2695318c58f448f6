"""Zenodo's legacy API, mounted at ``/api/`` beside the native ``/api/v1/`` (no path overlaps)."""

from django.urls import path, re_path

from zenodo import api

app_name = "zenodo"

urlpatterns = [
    path("deposit/depositions", api.DepositionListView.as_view(), name="depositions"),
    path("deposit/depositions/<int:pk>", api.DepositionView.as_view(), name="deposition"),
    path("deposit/depositions/<int:pk>/files", api.DepositionFilesView.as_view(), name="deposition-files"),
    path(
        "deposit/depositions/<int:pk>/files/<str:file_id>",
        api.DepositionFileView.as_view(),
        name="deposition-file",
    ),
    path(
        "deposit/depositions/<int:pk>/actions/<str:action>",
        api.DepositionActionView.as_view(),
        name="deposition-action",
    ),
    path("files/<int:bucket_id>", api.BucketView.as_view(), name="bucket"),
    path("files/<int:bucket_id>/<path:key>", api.BucketObjectView.as_view(), name="bucket-object"),
    path("records", api.RecordListView.as_view(), name="records"),
    path("records/<int:pk>", api.RecordView.as_view(), name="record"),
    path("records/<int:pk>/versions", api.RecordVersionsView.as_view(), name="record-versions"),
    path("records/<int:pk>/versions/latest", api.RecordLatestView.as_view(), name="record-latest"),
    path("records/<int:pk>/files", api.RecordFilesView.as_view(), name="record-files"),
    path(
        "records/<int:pk>/files/<path:key>/content",
        api.RecordFileContentView.as_view(),
        name="record-file-content",
    ),
    # anything else under these prefixes: the same URL without a trailing slash, or a JSON 404
    re_path(r"^(?:deposit|files|records)(?:/.*)?$", api.fallback, name="fallback"),
]
