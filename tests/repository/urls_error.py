from django.urls import include, path


def boom(request):
    raise RuntimeError("deliberate failure for the 500 page test")


urlpatterns = [path("boom/", boom), path("", include("repository.urls"))]
handler500 = "repository.views.error_500"
handler404 = "repository.views.error_404"
