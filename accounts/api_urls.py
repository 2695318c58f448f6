from django.urls import path

from accounts import api, views

urlpatterns = [
    path("me", views.MeView.as_view(), name="api-me"),
    path("me/tokens", api.TokenListView.as_view(), name="api-tokens"),
    path("me/tokens/<int:pk>", api.TokenDetailView.as_view(), name="api-token"),
]
