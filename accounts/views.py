from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import require_scope
from accounts.forms import NotificationForm, ProfileForm, SignupForm, TokenForm
from accounts.models import PersonalAccessToken, TokenScope


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.sign_up(
            username=data["username"],
            email=data["email"],
            password=data["password1"],
            full_name=data.get("full_name", ""),
            language=getattr(request, "LANGUAGE_CODE", "en")[:2],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Your account has been created."))
        return redirect("accounts:profile")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def profile(request):
    user = request.user
    form = ProfileForm(request.POST or None, instance=user, prefix="profile")
    notify_form = NotificationForm(request.POST or None, user=user, prefix="notify")
    if request.method == "POST" and form.is_valid() and notify_form.is_valid():
        data = form.cleaned_data
        services.update_profile(
            user,
            full_name=data["full_name"],
            email=data["email"],
            orcid=data["orcid"],
            language=data["language"],
            affiliations=data["affiliations_text"],
            notification_settings={key: bool(value) for key, value in notify_form.cleaned_data.items()},
        )
        messages.success(request, _("Your profile has been saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "notify_form": notify_form})


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = services.create_token(
            request.user, form.cleaned_data["name"], form.cleaned_data["scopes"]
        )
        form = TokenForm()
    user_tokens = PersonalAccessToken.objects.filter(user=request.user)
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": user_tokens, "new_key": new_key, "scope_labels": dict(TokenScope.choices)},
    )


@login_required
@require_POST
def revoke_token(request, pk: int):
    token = get_object_or_404(PersonalAccessToken, pk=pk, user=request.user)
    services.revoke_token(request.user, token)
    messages.success(request, _("The token “%(name)s” has been revoked.") % {"name": token.name})
    return redirect("accounts:tokens")


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    orcid = serializers.CharField(allow_null=True)
    affiliations = serializers.ListField(child=serializers.DictField())
    language = serializers.CharField()


class MeView(APIView):
    """The authenticated user's own profile (scope ``user:read``)."""

    permission_classes = [require_scope(TokenScope.USER_READ)]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "full_name": user.display_name,
                "orcid": user.orcid or None,
                "affiliations": user.affiliations,
                "language": user.language,
            }
        )
