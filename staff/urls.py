from django.urls import path

from staff import views

app_name = "staff"

urlpatterns = [
    path("", views.index, name="index"),
    path("withdrawals/", views.withdrawal_list, name="withdrawals"),
    path("withdrawals/<int:pk>/", views.withdrawal_detail, name="withdrawal"),
    path("tombstones/", views.tombstones, name="tombstones"),
    path("tombstones/<int:pk>/reinstate/", views.reinstate, name="reinstate"),
    path("quota/", views.quota, name="quota"),
    path("quota/<int:pk>/", views.quota, name="quota-decide"),
    path("audit/", views.audit_log, name="audit"),
    path("fixity/", views.fixity, name="fixity"),
    path("openaire/", views.openaire_withheld, name="openaire"),
]
