"""The curation REST API (Zenodo had none): list a community's requests, read one, decide, talk, invite.

Reading needs a signed-in user (session or token); every change needs a token with ``curation:write``
(session users pass). Errors are JSON with a ``message`` naming the problem.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import require_scope
from accounts.models import User
from accounts.pagination import cursor_pagination
from accounts.ratelimit import comment_limit
from accounts.serializers import StrictSerializer
from communities.models import Community
from curation import services
from curation.access import get_community_for_curator, get_request_for_user
from curation.models import CheckStatus, Comment, InclusionRequest, RequestState
from records.models import Record

WRITE = require_scope("curation:write")


class CurationAPIError(exceptions.APIException):
    def __init__(self, exc: services.CurationError):
        self.status_code = exc.status
        super().__init__(detail=exc.message)


def _raise(exc: services.CurationError):
    if isinstance(exc, services.NotFound):
        raise exceptions.NotFound(exc.message)
    if isinstance(exc, services.NotAllowed):
        raise exceptions.PermissionDenied(exc.message)
    raise CurationAPIError(exc)


# --- Serializers -----------------------------------------------------------------------------------


class CheckSerializer(serializers.Serializer):
    key = serializers.CharField()
    # a declared field, not Field.label: DRF's serializer metaclass moves it into _declared_fields
    label = serializers.CharField()  # type: ignore[assignment]
    status = serializers.ChoiceField(choices=CheckStatus.choices)
    reason = serializers.CharField()


class RecordSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    doi = serializers.CharField(allow_null=True, allow_blank=True)
    creators = serializers.CharField(source="creators_display")
    url = serializers.SerializerMethodField()

    def get_url(self, record) -> str:
        request = self.context.get("request")
        url = record.get_absolute_url()
        return request.build_absolute_uri(url) if request else url


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "created"]

    def get_author(self, obj) -> str | None:
        return obj.author.username if obj.author else None


class RequestSerializer(serializers.ModelSerializer):
    record = RecordSummarySerializer()
    community: serializers.SlugRelatedField[Community] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    decided_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    checks = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = InclusionRequest
        fields = [
            "id",
            "kind",
            "state",
            "record",
            "community",
            "created_by",
            "created",
            "expires_at",
            "decided_by",
            "decided_at",
            "reason",
            "checks_status",
            "checks",
            "links",
        ]

    def get_checks(self, obj) -> list[dict]:
        return [
            {"key": r.key, "label": r.label, "status": r.status, "reason": r.reason}
            for r in obj.check_results()
        ]

    def get_links(self, obj) -> dict:
        request = self.context.get("request")

        def absolute(url):
            return request.build_absolute_uri(url) if request else url

        return {"html": absolute(obj.get_absolute_url()), "self": absolute(f"/api/v1/requests/{obj.pk}")}


class RequestDetailSerializer(RequestSerializer):
    comments = CommentSerializer(many=True, read_only=True)

    class Meta(RequestSerializer.Meta):
        fields = [*RequestSerializer.Meta.fields, "comments"]


class ReasonSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class CommentInputSerializer(StrictSerializer):
    body = serializers.CharField(max_length=20000)


class BulkSerializer(StrictSerializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=500)
    action = serializers.ChoiceField(choices=["accept", "decline"])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class RecordRequestSerializer(StrictSerializer):
    community = serializers.SlugField()
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class InvitationSerializer(StrictSerializer):
    record = serializers.IntegerField()
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000)


# --- Views ------------------------------------------------------------------------------------------


class _Base(APIView):
    def get_permissions(self):
        if self.request.method in permissions.SAFE_METHODS:
            return [permissions.IsAuthenticated()]
        return [permissions.IsAuthenticated(), WRITE()]


def _requests():
    return InclusionRequest.objects.select_related("record", "community", "created_by", "decided_by")


class CommunityRequestList(_Base, generics.ListAPIView):
    """A community's requests, oldest first (curators only). ``?state=`` (default submitted, or ``all``), ``?checks=``."""

    serializer_class = RequestSerializer
    pagination_class = cursor_pagination("created", "id")

    def get_queryset(self):
        community = get_community_for_curator(self.request.user, self.kwargs["slug"])
        qs = _requests().filter(community=community)
        state = self.request.query_params.get("state", RequestState.SUBMITTED)
        if state != "all":
            if state not in RequestState.values:
                raise exceptions.ValidationError(
                    {"state": _("Unknown state “%(state)s”.") % {"state": state}}
                )
            qs = qs.filter(state=state)
        checks = self.request.query_params.get("checks")
        if checks:
            if checks not in CheckStatus.values:
                raise exceptions.ValidationError({"checks": _("Use pass, fail or unknown.")})
            qs = qs.filter(checks_status=checks)
        return qs.order_by("created", "id")

    @extend_schema(request=BulkSerializer, responses={200: dict})
    def post(self, request, slug):
        """Bulk decision: ``{"ids": [...], "action": "accept"|"decline", "reason": "..."}``."""
        community = get_community_for_curator(request.user, slug)
        data = BulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            outcome = services.bulk_decide(
                request.user,
                community,
                data.validated_data["ids"],
                data.validated_data["action"],
                data.validated_data.get("reason", ""),
            )
        except services.CurationError as exc:
            _raise(exc)
        return Response(
            {
                "done": [r.pk for r in outcome.done],
                "skipped": [{"id": pk, "message": message} for pk, message in outcome.skipped],
            }
        )


class MyRequestList(_Base, generics.ListAPIView):
    """Requests about the signed-in user's records (including invitations waiting for them), or with
    ``?role=curator`` those in the communities they curate; ``?state=`` filters."""

    serializer_class = RequestSerializer
    pagination_class = cursor_pagination("-created", "-id")

    def get_queryset(self):
        user = self.request.user
        role = self.request.query_params.get("role", "owner")
        if role == "curator":
            mine = Q(community__in=Community.objects.curated_by(user))
        elif role == "owner":
            mine = Q(record__owner=user) | Q(record__co_owners=user)
        else:
            raise exceptions.ValidationError({"role": [_("Use owner or curator.")]})
        qs = _requests().filter(mine)
        state = self.request.query_params.get("state")
        if state:
            if state not in RequestState.values:
                raise exceptions.ValidationError(
                    {"state": [_("Unknown state “%(state)s”.") % {"state": state}]}
                )
            qs = qs.filter(state=state)
        return qs.distinct()

    @extend_schema(
        parameters=[
            OpenApiParameter("role", str, enum=["owner", "curator"]),
            OpenApiParameter("state", str, enum=list(RequestState.values)),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RequestDetail(_Base, generics.RetrieveAPIView):
    serializer_class = RequestDetailSerializer

    def get_object(self):
        return get_request_for_user(self.request.user, self.kwargs["pk"])


class RequestAction(_Base, APIView):
    """``POST /api/v1/requests/<id>/accept|decline|cancel|remove`` with ``{"reason": "..."}``."""

    action = "accept"

    @extend_schema(request=ReasonSerializer, responses={200: RequestSerializer})
    def post(self, request, pk):
        req = get_request_for_user(request.user, pk)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data.get("reason", "")
        verbs = {
            "accept": lambda: services.accept(request.user, req),
            "decline": lambda: services.decline(request.user, req, reason),
            "cancel": lambda: services.cancel(request.user, req, reason),
            "remove": lambda: services.remove(request.user, req, reason),
        }
        try:
            done = verbs[self.action]()
        except services.CurationError as exc:
            _raise(exc)
        done = _requests().get(pk=done.pk)
        return Response(RequestSerializer(done, context={"request": request}).data)


class CommentList(_Base, APIView):
    @extend_schema(responses={200: CommentSerializer(many=True)})
    def get(self, request, pk):
        req = get_request_for_user(request.user, pk)
        comments = req.comments.select_related("author")
        return Response(CommentSerializer(comments, many=True).data)

    @extend_schema(request=CommentInputSerializer, responses={201: CommentSerializer})
    def post(self, request, pk):
        req = get_request_for_user(request.user, pk)
        data = CommentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        verdict = comment_limit(request)
        if verdict.limited:
            raise Throttled(wait=verdict.retry_after)
        try:
            note = services.comment(request.user, req, data.validated_data["body"])
        except services.CurationError as exc:
            _raise(exc)
        return Response(CommentSerializer(note).data, status=status.HTTP_201_CREATED)


class RecordRequestCreate(_Base, APIView):
    """The record's owner asks a community to include it: ``{"community": "<slug>", "message": "..."}``."""

    @extend_schema(request=RecordRequestSerializer, responses={201: RequestSerializer})
    def post(self, request, pk):
        data = RecordRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = Record.objects.filter(pk=pk).first()
        community = Community.objects.filter(slug=data.validated_data["community"]).first()
        if record is None or not record.is_owner(request.user):
            raise exceptions.NotFound(_("No such record among yours."))
        if community is None or not community.is_visible_to(request.user):
            raise exceptions.NotFound(
                _("There is no community “%(slug)s”.") % {"slug": data.validated_data["community"]}
            )
        try:
            req = services.request_inclusion(
                request.user, record, community, message=data.validated_data.get("message", "")
            )
        except services.CurationError as exc:
            _raise(exc)
        return Response(
            RequestSerializer(req, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class InvitationCreate(_Base, APIView):
    """A curator invites a published record: ``{"record": <id>, "message": "..."}``."""

    @extend_schema(request=InvitationSerializer, responses={201: RequestSerializer})
    def post(self, request, slug):
        community = get_community_for_curator(request.user, slug)
        data = InvitationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = Record.objects.published().filter(pk=data.validated_data["record"]).first()
        if record is None:
            raise exceptions.NotFound(_("No published record has this id."))
        try:
            req = services.invite(
                request.user, record, community, message=data.validated_data.get("message", "")
            )
        except services.CurationError as exc:
            _raise(exc)
        return Response(
            RequestSerializer(req, context={"request": request}).data, status=status.HTTP_201_CREATED
        )
