from django.urls import path

from aitools import views

urlpatterns = [
    path("records/<int:pk>/review-links/", views.review_links, name="review-links"),
    path(
        "records/<int:pk>/review-links/<int:link_id>/revoke",
        views.revoke_review_link,
        name="review-link-revoke",
    ),
    path("records/<int:pk>/import-cff/", views.import_cff, name="cff-import"),
    path("review/<str:token>/", views.review_page, name="review-page"),
    path("review/<str:token>/croissant", views.review_croissant, name="review-croissant"),
    path("review/<str:token>/files.zip", views.review_zip, name="review-zip"),
    path("review/<str:token>/files/<path:key>", views.review_file, name="review-file"),
]
