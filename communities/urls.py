from django.urls import path

from communities import views

app_name = "communities"

urlpatterns = [
    path("", views.community_list, name="list"),
    path("new/", views.community_new, name="new"),
    path("<slug:slug>/", views.community_detail, name="detail"),
    path("<slug:slug>/logo", views.community_logo, name="logo"),
    path("<slug:slug>/edit/", views.community_edit, name="edit"),
    path("<slug:slug>/members/", views.community_members, name="members"),
    path("<slug:slug>/members/<int:user_id>/", views.community_member_change, name="member_change"),
]
