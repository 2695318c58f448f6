"""``/api/v1/me`` and ``/api/v1/me/tokens``: the current user and their personal access tokens.

A token may mint (or revoke) only tokens whose scopes it holds itself; the browser session (with
CSRF) may do anything the account may. The new secret is in the 201 answer, once.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import require_scope
from accounts.models import PersonalAccessToken, TokenScope
from accounts.serializers import StrictSerializer

READ = require_scope(TokenScope.USER_READ)


class TokenSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = PersonalAccessToken
        fields = [
            "id",
            "name",
            "hint",
            "scopes",
            "created",
            "expires_at",
            "last_used",
            "revoked_at",
            "active",
        ]


class NewTokenSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=TokenScope.values),
        min_length=1,
        max_length=len(TokenScope.values),
    )
    expires_in_days = serializers.IntegerField(min_value=1, max_value=3650, required=False, allow_null=True)


class CreatedTokenSerializer(TokenSerializer):
    token = serializers.CharField(help_text="The secret, shown this once.")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]


def _check_scopes(request, scopes) -> None:
    token = request.auth
    if isinstance(token, PersonalAccessToken):
        lacking = sorted(set(scopes) - set(token.scopes))
        if lacking:
            raise exceptions.PermissionDenied(
                _("This access token lacks the scope “%(scope)s”, so it cannot give it to another token.")
                % {"scope": lacking[0]}
            )


class TokenListView(APIView):
    """GET: your tokens (newest first). POST: a new token with some of your (token's) scopes."""

    permission_classes = [permissions.IsAuthenticated, READ]

    @extend_schema(operation_id="me_tokens_list", responses={200: TokenSerializer(many=True)}, tags=["me"])
    def get(self, request):
        tokens = PersonalAccessToken.objects.filter(user=request.user).order_by("-created", "-id")
        return Response(TokenSerializer(tokens, many=True).data)

    @extend_schema(
        operation_id="me_tokens_create",
        request=NewTokenSerializer,
        responses={201: CreatedTokenSerializer},
        tags=["me"],
    )
    def post(self, request):
        data = NewTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        scopes = data.validated_data["scopes"]
        _check_scopes(request, scopes)
        days = data.validated_data.get("expires_in_days", -1)
        try:
            token, secret = services.create_token(
                request.user, data.validated_data["name"], scopes, expires_in_days=days
            )
        except services.TokenError as exc:
            raise exceptions.ValidationError({"scopes": [str(exc)]})
        response = Response({**TokenSerializer(token).data, "token": secret}, status=201)
        response["Location"] = request.build_absolute_uri(f"/api/v1/me/tokens/{token.pk}")
        return response


class TokenDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated, READ]

    def _token(self, request, pk: int) -> PersonalAccessToken:
        return get_object_or_404(PersonalAccessToken, pk=pk, user=request.user)

    @extend_schema(operation_id="me_tokens_retrieve", responses={200: TokenSerializer}, tags=["me"])
    def get(self, request, pk: int):
        return Response(TokenSerializer(self._token(request, pk)).data)

    @extend_schema(operation_id="me_tokens_revoke", responses={204: None}, tags=["me"])
    def delete(self, request, pk: int):
        token = self._token(request, pk)
        _check_scopes(request, token.scopes)
        services.revoke_token(request.user, token)
        return Response(status=204)
