"""``/api/v1/communities…``: list and read communities, their records, and their members.

Reading is as public as the community (restricted ones: members and staff). Owners manage members
(``POST``/``PUT``/``DELETE`` on ``members``; tokens need ``curation:write``); curators read the list.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import require_scope
from accounts.pagination import cursor_pagination
from accounts.serializers import StrictSerializer
from communities import services as communities
from communities.models import Community, MemberRole, Membership
from records.api import cut_long_lists, serialize
from records.models import Record

WRITE = require_scope("curation:write")


class CommunitySerializer(serializers.ModelSerializer):
    links = serializers.SerializerMethodField()

    class Meta:
        model = Community
        fields = [
            "slug",
            "title",
            "description",
            "curation_policy",
            "website",
            "visibility",
            "created",
            "links",
        ]

    def get_links(self, obj) -> dict:
        request = self.context["request"]
        return {
            "self": request.build_absolute_uri(f"/api/v1/communities/{obj.slug}"),
            "html": request.build_absolute_uri(obj.get_absolute_url()),
            "records": request.build_absolute_uri(f"/api/v1/communities/{obj.slug}/records"),
        }


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")

    class Meta:
        model = Membership
        fields = ["username", "role", "created"]


class MemberInputSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=MemberRole.values, default=MemberRole.CURATOR)


class RoleSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=MemberRole.values)


def visible_community(request, slug: str) -> Community:
    community = get_object_or_404(Community, slug=slug)
    if not community.is_visible_to(request.user):
        raise exceptions.NotFound(_("There is no community “%(slug)s”.") % {"slug": slug})
    return community


class CommunityList(generics.ListAPIView):
    """Communities you may see, by identifier."""

    permission_classes = [permissions.AllowAny]
    serializer_class = CommunitySerializer
    pagination_class = cursor_pagination("slug")

    def get_queryset(self):
        return Community.objects.visible_to(self.request.user)


class CommunityDetail(generics.RetrieveAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = CommunitySerializer

    def get_object(self):
        return visible_community(self.request, self.kwargs["slug"])


class RecordItem(serializers.Serializer):
    """A record as ``/api/v1/records`` lists it."""

    def to_representation(self, instance):
        return cut_long_lists(serialize(instance))


class CommunityRecords(generics.ListAPIView):
    """The published records in the community, newest first."""

    permission_classes = [permissions.AllowAny]
    serializer_class = RecordItem
    pagination_class = cursor_pagination("-id")

    def get_queryset(self):
        community = visible_community(self.request, self.kwargs["slug"])
        return Record.objects.published().filter(
            community_links__community=community, community_links__removed_at__isnull=True
        )

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _managed(request, slug: str, *, manage: bool) -> Community:
    community = visible_community(request, slug)
    allowed = community.is_owner(request.user) if manage else community.is_curator(request.user)
    if not (allowed or request.user.is_staff):
        raise exceptions.PermissionDenied(
            _("Only the community's owners manage its members.")
            if manage
            else _("Only the community's owners and curators see its members.")
        )
    return community


def _user(username: str):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise exceptions.NotFound(_("There is no user “%(name)s”.") % {"name": username})
    return user


class MemberList(APIView):
    """GET: owners and curators (owners and curators see it). POST ``{"username", "role"}``: owners add one."""

    def get_permissions(self):
        if self.request.method in permissions.SAFE_METHODS:
            return [permissions.IsAuthenticated()]
        return [permissions.IsAuthenticated(), WRITE()]

    @extend_schema(operation_id="communities_members_list", responses={200: MemberSerializer(many=True)})
    def get(self, request, slug: str):
        community = _managed(request, slug, manage=False)
        members = community.memberships.select_related("user").order_by("user__username")
        return Response(MemberSerializer(members, many=True).data)

    @extend_schema(
        operation_id="communities_members_create",
        request=MemberInputSerializer,
        responses={201: MemberSerializer},
    )
    def post(self, request, slug: str):
        community = _managed(request, slug, manage=True)
        data = MemberInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(data.validated_data["username"])
        if community.memberships.filter(user=user).exists():
            raise exceptions.ValidationError(
                {"username": [_("%(name)s is already a member.") % {"name": user.username}]}
            )
        membership = communities.set_member(request.user, community, user, data.validated_data["role"])
        response = Response(MemberSerializer(membership).data, status=201)
        response["Location"] = request.build_absolute_uri(
            f"/api/v1/communities/{slug}/members/{user.username}"
        )
        return response


class MemberDetail(APIView):
    """PUT ``{"role"}`` changes a member's role; DELETE removes them (owners; never the last owner)."""

    def get_permissions(self):
        if self.request.method in permissions.SAFE_METHODS:
            return [permissions.IsAuthenticated()]
        return [permissions.IsAuthenticated(), WRITE()]

    def _membership(self, community: Community, username: str) -> Membership:
        membership = community.memberships.select_related("user").filter(user__username=username).first()
        if membership is None:
            raise exceptions.NotFound(_("%(name)s is not a member.") % {"name": username})
        return membership

    @extend_schema(operation_id="communities_members_retrieve", responses={200: MemberSerializer})
    def get(self, request, slug: str, username: str):
        community = _managed(request, slug, manage=False)
        return Response(MemberSerializer(self._membership(community, username)).data)

    @extend_schema(
        operation_id="communities_members_update", request=RoleSerializer, responses={200: MemberSerializer}
    )
    def put(self, request, slug: str, username: str):
        community = _managed(request, slug, manage=True)
        membership = self._membership(community, username)
        data = RoleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            membership = communities.change_role(
                request.user, community, membership.user, data.validated_data["role"]
            )
        except communities.CommunityError as exc:
            raise exceptions.ValidationError({"role": [exc.message]})
        return Response(MemberSerializer(membership).data)

    @extend_schema(operation_id="communities_members_destroy", responses={204: None})
    def delete(self, request, slug: str, username: str):
        community = _managed(request, slug, manage=True)
        membership = self._membership(community, username)
        try:
            communities.remove_member(request.user, community, membership.user)
        except communities.CommunityError as exc:
            raise exceptions.ValidationError({"username": [exc.message]})
        return Response(status=204)
