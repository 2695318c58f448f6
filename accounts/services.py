"""Account verbs: sign-up, e-mail verification, profiles and tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Actor, PersonalAccessToken, TokenScope, User
from accounts.ratelimit import hit
from audit.services import audit
from mail.services import queue_email


class TokenError(ValueError):
    pass


class EmailError(ValueError):
    """A verification link that cannot be used; the message says why."""


EMAIL_SALT = "accounts.verify-email"


# --- Finding accounts ------------------------------------------------------------------------------


def find_user(value: str) -> User | None:
    """The active account named ``value``: a username, or an e-mail address that its owner verified.

    An address someone merely typed into a profile finds nobody: that would let anyone claim an
    invitation or a curator seat meant for that address.
    """
    value = (value or "").strip()
    if not value:
        return None
    if "@" in value:
        return User.objects.filter(email__iexact=value, email_verified=True, is_active=True).first()
    return User.objects.filter(username__iexact=value, is_active=True).first()


def address_taken(address: str, *, exclude: User | None = None, verified_only: bool = False) -> bool:
    others = User.objects.filter(email__iexact=address.strip())
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if verified_only:
        others = others.filter(email_verified=True)
    return others.exists()


# --- Sign-up and e-mail verification --------------------------------------------------------------------


def sign_up(*, username: str, email: str, password: str, full_name: str = "", language: str = "en") -> User:
    """Create an account (the sign-up form validated the fields); audited as the new user's own act.

    The answer is the same whether or not ``email`` already belongs to an account (nobody learns who
    has one): a free address becomes the account's (unverified) address and gets a verification link;
    an address another account uses waits as ``pending_email`` and its holder gets a notice instead
    (or, when the holder never verified it, the link: whoever proves the address gets it).
    """
    email = email.strip().lower()
    with transaction.atomic():
        holder = User.objects.filter(email__iexact=email).first()
        fields = {"username": username, "password": password, "full_name": full_name, "language": language}
        try:
            with transaction.atomic():  # a savepoint: another sign-up may take the address meanwhile
                user = User.objects.create_user(email="" if holder else email, **fields)
        except IntegrityError:
            if User.objects.filter(username=username).exists():
                raise
            holder = User.objects.filter(email__iexact=email).first()
            user = User.objects.create_user(email="", **fields)
        if holder:
            user.pending_email = email
            user.save(update_fields=["pending_email"])
        audit(user, "sign_up", user, after={"username": user.username, "language": user.language})
    if holder is not None and holder.email_verified:
        _send_existing_account_notice(holder, email)
    else:
        send_verification(user, email)
    return user


def make_email_token(user: User, address: str) -> str:
    return signing.dumps({"u": user.pk, "e": address.strip().lower()}, salt=EMAIL_SALT, compress=True)


def verification_url(user: User, address: str) -> str:
    return settings.SITE_URL + reverse("accounts:verify_email", args=[make_email_token(user, address)])


def send_verification(user: User, address: str) -> bool:
    """Mail a verification link for ``address`` (at most ``RATELIMIT_MAILS`` per address); sent or not."""
    address = address.strip().lower()
    if not address or hit(None, "mail-verify", settings.RATELIMIT_MAILS, address).limited:
        return False
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("Confirm your e-mail address on %(site)s") % {"site": settings.SITE_NAME}
        body = render_to_string(
            "accounts/email/verify_email.txt",
            {
                "user": user,
                "address": address,
                "url": verification_url(user, address),
                "days": settings.EMAIL_VERIFICATION_DAYS,
                "SITE_NAME": settings.SITE_NAME,
            },
        )
    queue_email([address], subject, body)
    return True


def _send_existing_account_notice(holder: User, address: str) -> None:
    if hit(None, "mail-verify", settings.RATELIMIT_MAILS, address).limited:
        return
    with translation.override(holder.language or settings.LANGUAGE_CODE):
        subject = _("Someone tried to sign up with your address on %(site)s") % {"site": settings.SITE_NAME}
        body = render_to_string(
            "accounts/email/existing_account.txt",
            {
                "user": holder,
                "login_url": settings.SITE_URL + reverse("accounts:login"),
                "reset_url": settings.SITE_URL + reverse("accounts:password_reset"),
                "SITE_NAME": settings.SITE_NAME,
            },
        )
    queue_email([address], subject, body)


def read_email_token(token: str) -> tuple[User, str]:
    """The account and address a verification link stands for; ``EmailError`` when it cannot be used."""
    try:
        data = signing.loads(token, salt=EMAIL_SALT, max_age=timedelta(days=settings.EMAIL_VERIFICATION_DAYS))
    except signing.SignatureExpired:
        raise EmailError(_("This link has expired. Ask for a new one on your profile page."))
    except signing.BadSignature:
        raise EmailError(_("This link is not valid. Check that you copied all of it."))
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise EmailError(_("This link is not valid. Check that you copied all of it."))
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    address = str(data.get("e", ""))
    if user is None or not address:
        raise EmailError(_("This link is not valid. Check that you copied all of it."))
    if address not in {user.email.lower(), user.pending_email.lower()}:
        raise EmailError(_("This link is for an address your account no longer asks for."))
    return user, address


def confirm_email(user: User, address: str) -> User:
    """The address's owner followed its link: it becomes the account's verified address.

    Another account that shows the same address without having verified it loses it (the address
    is now proven to be someone else's); one that verified it keeps it, and this link is refused.
    """
    address = address.strip().lower()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        before = {
            "email": user.email,
            "email_verified": user.email_verified,
            "pending_email": user.pending_email,
        }
        if user.email.lower() != address:
            if user.pending_email.lower() != address:
                raise EmailError(_("This link is for an address your account no longer asks for."))
            others = User.objects.select_for_update().filter(email__iexact=address).exclude(pk=user.pk)
            if any(other.email_verified for other in others):
                raise EmailError(_("Another account has already confirmed this address."))
            for other in others:
                other.pending_email, other.email = other.email, ""
                other.save(update_fields=["email", "pending_email"])
                audit(user, "release_email", other, before={"email": address}, after={"email": ""})
            user.email = address
        user.email_verified = True
        if user.pending_email.lower() == address:
            user.pending_email = ""
        try:
            with transaction.atomic():
                user.save(update_fields=["email", "email_verified", "pending_email"])
        except IntegrityError:
            raise EmailError(_("Another account has already confirmed this address."))
        audit(user, "verify_email", user, before=before, after={"email": user.email, "email_verified": True})
    return user


def request_email_change(user: User, address: str) -> bool:
    """A new address from the profile: it waits as ``pending_email`` (the current one stays in use)
    until its link is followed. Returns whether a link was sent."""
    address = address.strip().lower()
    if not address:
        return False
    if address == user.email.lower():
        if user.email_verified or user.pending_email:
            if user.pending_email:
                with transaction.atomic():
                    user.pending_email = ""
                    user.save(update_fields=["pending_email"])
            return False
        return send_verification(user, address)
    if address == user.pending_email.lower():
        return send_verification(user, address)
    with transaction.atomic():
        before = {"pending_email": user.pending_email}
        user.pending_email = address
        user.save(update_fields=["pending_email"])
        audit(user, "request_email_change", user, before=before, after={"pending_email": address})
    return send_verification(user, address)


# --- Tokens ---------------------------------------------------------------------------------------


def create_token(
    user: User, name: str, scopes: list[str], *, expires_in_days: int | None = -1
) -> tuple[PersonalAccessToken, str]:
    """Create a token; returns (row, secret). The secret is never stored or shown again.

    ``expires_in_days``: -1 (the default) means ``TOKEN_DEFAULT_EXPIRY_DAYS``; None, never.
    """
    valid = set(TokenScope.values)
    unknown = [scope for scope in scopes if scope not in valid]
    if unknown:
        raise TokenError(f"unknown scope(s): {', '.join(unknown)}; choose from {', '.join(sorted(valid))}")
    if not name.strip():
        raise TokenError("a token needs a name")
    if expires_in_days == -1:
        expires_in_days = settings.TOKEN_DEFAULT_EXPIRY_DAYS
    if expires_in_days is not None and expires_in_days < 1:
        raise TokenError("a token lives at least one day")
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days is not None else None
    key = PersonalAccessToken.generate_key()
    with transaction.atomic():
        token = PersonalAccessToken.objects.create(
            user=user,
            name=name.strip()[:100],
            key_hash=PersonalAccessToken.hash_key(key),
            hint=key[:8],
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
        )
        audit(
            user,
            "create_token",
            token,
            after={"name": token.name, "scopes": token.scopes, "expires_at": _iso(expires_at)},
        )
    return token, key


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def revoke_token(user: User, token: PersonalAccessToken) -> None:
    with transaction.atomic():
        updated = PersonalAccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            audit(user, "revoke_token", token, before={"active": True}, after={"active": False})


def revoke_all_tokens(user: User, reason: str) -> int:
    """Revoke every token of ``user`` (the password was reset or changed); returns how many."""
    with transaction.atomic():
        count = PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if count:
            audit(user, "revoke_all_tokens", user, after={"revoked": count, "reason": reason})
    return count


# --- Profile --------------------------------------------------------------------------------------


def update_profile(user: User, **fields: Any) -> User:
    """Save profile fields. The e-mail address is not among them: ``request_email_change`` verifies it."""
    allowed = {"full_name", "orcid", "affiliations", "language", "notification_settings"}
    before = {key: getattr(user, key) for key in fields if key in allowed}
    for key, value in fields.items():
        if key in allowed:
            setattr(user, key, value)
    with transaction.atomic():
        user.save(update_fields=list(before))
        audit(user, "update_profile", user, before=before, after={key: getattr(user, key) for key in before})
    return user


def raise_draft_allowance(user: User, actor: Actor, at_least: int) -> int:
    """Staff raise what ``user``'s drafts may hold together (``USER_DRAFT_QUOTA_BYTES`` is the default) to at
    least ``at_least`` bytes; never lowers it. Returns the allowance now in force."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = locked.draft_allowance_bytes()
        if at_least > before:
            locked.draft_quota_bytes = at_least
            locked.save(update_fields=["draft_quota_bytes"])
            audit(actor, "raise_draft_allowance", locked, before={"bytes": before}, after={"bytes": at_least})
        user.draft_quota_bytes = locked.draft_quota_bytes
        return locked.draft_allowance_bytes()
