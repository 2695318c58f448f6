"""Account verbs: sign-up, profiles and tokens."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import PersonalAccessToken, TokenScope, User
from audit.services import audit


class TokenError(ValueError):
    pass


def sign_up(*, username: str, email: str, password: str, full_name: str = "", language: str = "en") -> User:
    """Create an account (the sign-up form validated the fields); audited as the new user's own act."""
    with transaction.atomic():
        user = User.objects.create_user(
            username=username, email=email, password=password, full_name=full_name, language=language
        )
        audit(user, "sign_up", user, after={"username": user.username, "language": user.language})
    return user


def create_token(user: User, name: str, scopes: list[str]) -> tuple[PersonalAccessToken, str]:
    """Create a token; returns (row, secret). The secret is never stored or shown again."""
    valid = set(TokenScope.values)
    unknown = [scope for scope in scopes if scope not in valid]
    if unknown:
        raise TokenError(f"unknown scope(s): {', '.join(unknown)}; choose from {', '.join(sorted(valid))}")
    if not name.strip():
        raise TokenError("a token needs a name")
    key = PersonalAccessToken.generate_key()
    with transaction.atomic():
        token = PersonalAccessToken.objects.create(
            user=user,
            name=name.strip()[:100],
            key_hash=PersonalAccessToken.hash_key(key),
            hint=key[:8],
            scopes=sorted(set(scopes)),
        )
        audit(user, "create_token", token, after={"name": token.name, "scopes": token.scopes})
    return token, key


def revoke_token(user: User, token: PersonalAccessToken) -> None:
    with transaction.atomic():
        updated = PersonalAccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            audit(user, "revoke_token", token, before={"active": True}, after={"active": False})


def update_profile(user: User, **fields: Any) -> User:
    allowed = {"full_name", "orcid", "affiliations", "language", "email", "notification_settings"}
    before = {key: getattr(user, key) for key in fields if key in allowed}
    for key, value in fields.items():
        if key in allowed:
            setattr(user, key, value)
    with transaction.atomic():
        user.save(update_fields=list(before))
        audit(user, "update_profile", user, before=before, after={key: getattr(user, key) for key in before})
    return user
