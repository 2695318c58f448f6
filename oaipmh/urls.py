from django.urls import path

from oaipmh import views

app_name = "oaipmh"

urlpatterns = [
    path("oai2d", views.endpoint, name="endpoint"),
]
