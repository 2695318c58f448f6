from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions

from accounts.models import PersonalAccessToken


def _token_from_request(request) -> str | None:
    header = authentication.get_authorization_header(request).decode("latin-1")
    if header:
        kind, _sep, value = header.partition(" ")
        if kind.lower() == "bearer" and value.strip():
            return value.strip()
        return None
    return request.query_params.get("access_token") or None


class PersonalTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>`` or ``?access_token=<token>`` (as Zenodo accepts)."""

    def authenticate(self, request):
        key = _token_from_request(request)
        if key is None:
            return None
        token = (
            PersonalAccessToken.objects.select_related("user")
            .filter(key_hash=PersonalAccessToken.hash_key(key))
            .first()
        )
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("The access token is invalid or has been revoked."))
        if token.expires_at is not None and token.is_expired:
            raise exceptions.AuthenticationFailed(
                _("The access token expired on %(date)s; create a new one.")
                % {"date": token.expires_at.strftime("%Y-%m-%d")}
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This account is disabled."))
        now = timezone.now()
        if token.last_used is None or (now - token.last_used).total_seconds() > 60:
            PersonalAccessToken.objects.filter(pk=token.pk).update(last_used=now)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


# Scopes that let a token read its owner's uploads as the owner (drafts, the edit draft, the contact
# e-mail and other private fields). ``user:read`` is not one of them: it reads the profile only.
OWNER_READ_SCOPES = ("deposit:read", "deposit:write", "deposit:actions")


def token_allows(request, *scopes: str) -> bool:
    """Session users may do anything their account may; a token needs one of ``scopes``."""
    token = getattr(request, "auth", None)
    if isinstance(token, PersonalAccessToken):
        return any(token.has_scope(scope) for scope in scopes)
    return True


def reader(request):
    """The user whose rights a read uses: the account, or anonymous when a token may not read as
    the owner (a ``user:read`` token sees what the public sees)."""
    if request.user.is_authenticated and not token_allows(request, *OWNER_READ_SCOPES):
        return AnonymousUser()
    return request.user


def require_scope(scope: str):
    """A DRF permission class: session users pass; token users need ``scope`` on their token."""

    class HasScope(permissions.BasePermission):
        message = _("This access token lacks the scope “%(scope)s”.") % {"scope": scope}

        def has_permission(self, request, view):
            if not request.user or not request.user.is_authenticated:
                return False
            token = request.auth
            if isinstance(token, PersonalAccessToken):
                return token.has_scope(scope)
            return True

    HasScope.__name__ = f"HasScope_{scope.replace(':', '_')}"
    return HasScope
