from django.urls import path

from records.exports import views

urlpatterns = [
    path("<str:fmt>", views.export_record, name="record-export"),
]
