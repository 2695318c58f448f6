from django.urls import path

from curation import api, communities_api, views

app_name = "curation"

urlpatterns = [
    path("communities/<slug:slug>/curation/", views.queue, name="queue"),
    path("communities/<slug:slug>/curation/invite/", views.queue_invite, name="queue_invite"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.inbox_open, name="inbox_open"),
    path("requests/", views.my_requests, name="my_requests"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/accept/", views.request_accept, name="accept"),
    path("requests/<int:pk>/decline/", views.request_decline, name="decline"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="cancel"),
    path("requests/<int:pk>/remove/", views.request_remove, name="remove"),
    path("requests/<int:pk>/comment/", views.request_comment, name="comment"),
    path("requests/<int:pk>/recheck/", views.request_recheck, name="recheck"),
    path("records/<int:pk>/communities/request/", views.record_request, name="record_request"),
    path("records/<int:pk>/communities/invite/", views.record_invite, name="record_invite"),
    # REST API (scope curation:write for changes)
    path(
        "api/v1/communities/<slug:slug>/requests",
        api.CommunityRequestList.as_view(),
        name="api-community-requests",
    ),
    path(
        "api/v1/communities/<slug:slug>/invitations", api.InvitationCreate.as_view(), name="api-invitations"
    ),
    path("api/v1/communities", communities_api.CommunityList.as_view(), name="api-communities"),
    path("api/v1/communities/<slug:slug>", communities_api.CommunityDetail.as_view(), name="api-community"),
    path(
        "api/v1/communities/<slug:slug>/records",
        communities_api.CommunityRecords.as_view(),
        name="api-community-records",
    ),
    path("api/v1/communities/<slug:slug>/members", communities_api.MemberList.as_view(), name="api-members"),
    path(
        "api/v1/communities/<slug:slug>/members/<str:username>",
        communities_api.MemberDetail.as_view(),
        name="api-member",
    ),
    path("api/v1/requests", api.MyRequestList.as_view(), name="api-requests"),
    path("api/v1/requests/<int:pk>", api.RequestDetail.as_view(), name="api-request"),
    path("api/v1/requests/<int:pk>/accept", api.RequestAction.as_view(action="accept"), name="api-accept"),
    path("api/v1/requests/<int:pk>/decline", api.RequestAction.as_view(action="decline"), name="api-decline"),
    path("api/v1/requests/<int:pk>/cancel", api.RequestAction.as_view(action="cancel"), name="api-cancel"),
    path("api/v1/requests/<int:pk>/remove", api.RequestAction.as_view(action="remove"), name="api-remove"),
    path("api/v1/requests/<int:pk>/comments", api.CommentList.as_view(), name="api-comments"),
    path("api/v1/records/<int:pk>/requests", api.RecordRequestCreate.as_view(), name="api-record-requests"),
]
