from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import require_scope
from accounts.forms import NotificationForm, ProfileForm, SignupForm, TokenForm
from accounts.models import PersonalAccessToken, TokenScope
from accounts.ratelimit import hit_ip, too_many_requests


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verdict = hit_ip(request, "signup", settings.RATELIMIT_SIGNUP)
        if verdict.limited:
            return too_many_requests(request, verdict.retry_after, _("Too many sign-ups from your address."))
        data = form.cleaned_data
        try:
            user = services.sign_up(
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                full_name=data.get("full_name", ""),
                language=getattr(request, "LANGUAGE_CODE", "en")[:2],
            )
        except IntegrityError:  # the same username taken a moment ago by another sign-up
            form.add_error("username", _("A user with that username already exists."))
            return render(request, "accounts/signup.html", {"form": form}, status=400)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        # the same words whether or not the address already had an account (that holder got a notice)
        messages.success(
            request,
            _(
                "Welcome! Your account has been created. We have sent a message to %(address)s: "
                "follow its link to confirm your e-mail address."
            )
            % {"address": data["email"]},
        )
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
            orcid=data["orcid"],
            language=data["language"],
            affiliations=data["affiliations_text"],
            notification_settings={key: bool(value) for key, value in notify_form.cleaned_data.items()},
        )
        messages.success(request, _("Your profile has been saved."))
        if services.request_email_change(user, data["email"]):
            messages.info(
                request,
                _("We have sent a link to %(address)s: follow it to confirm the address.")
                % {"address": data["email"]},
            )
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "notify_form": notify_form})


@login_required
@require_POST
def resend_verification(request):
    user = request.user
    address = user.pending_email or (user.email if not user.email_verified else "")
    if address and services.send_verification(user, address):
        messages.info(request, _("We have sent a link to %(address)s.") % {"address": address})
    elif address:
        messages.error(request, _("We sent several links to this address recently. Try again later."))
    return redirect("accounts:profile")


@require_http_methods(["GET", "HEAD", "POST"])
def verify_email(request, token: str):
    """The link from a verification mail: GET shows the address, POST confirms it (a mail scanner's
    prefetch changes nothing)."""
    try:
        user, address = services.read_email_token(token)
    except services.EmailError as exc:
        return render(request, "accounts/verify_email.html", {"error": str(exc)}, status=400)
    if request.method == "POST":
        try:
            services.confirm_email(user, address)
        except services.EmailError as exc:
            return render(request, "accounts/verify_email.html", {"error": str(exc)}, status=409)
        messages.success(request, _("Thank you: %(address)s is confirmed.") % {"address": address})
        return redirect("accounts:profile" if request.user.is_authenticated else "accounts:login")
    return render(request, "accounts/verify_email.html", {"address": address, "account": user})


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = services.create_token(
            request.user,
            form.cleaned_data["name"],
            form.cleaned_data["scopes"],
            expires_in_days=form.cleaned_data["expires"],
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
