"""URLs of a record's files. The namespace stays "storage": templates, the uploader script and API
clients use these names and paths."""

from django.urls import path

from records import files as views
from records import files_api as api

app_name = "storage"

urlpatterns = [
    path("records/<int:pk>/files/", views.files_page, name="files"),
    path("records/<int:pk>/files.zip", views.download_all, name="download_all"),
    path("records/<int:pk>/files/<path:key>", views.download, name="download"),
    path("records/<int:pk>/preview/<path:key>", views.preview, name="preview"),
    path("api/v1/records/<int:pk>/files", api.RecordFilesAPI.as_view(), name="api-files"),
    path("api/v1/records/<int:pk>/files/<path:key>", api.RecordFileAPI.as_view(), name="api-file"),
    path("api/v1/records/<int:pk>/restore-file", api.RestoreFileAPI.as_view(), name="api-restore-file"),
    path("api/v1/records/<int:pk>/uploads", api.CreateUploadAPI.as_view(), name="api-uploads"),
    path("api/v1/uploads/<uuid:upload_id>", api.UploadAPI.as_view(), name="api-upload"),
    path("api/v1/uploads/<uuid:upload_id>/finish", api.FinishUploadAPI.as_view(), name="api-upload-finish"),
]
