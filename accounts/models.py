from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identifiers import validate_orcid


def validate_username_has_no_at(value: str) -> None:
    """An ``@`` would make a username read as an e-mail address in every lookup by "username or e-mail"."""
    if "@" in value:
        raise ValidationError(_("A username may not contain “@”."), code="username_at")


class User(AbstractUser):
    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        help_text=_("Required. 150 characters or fewer. Letters, digits and ./+/-/_ only."),
        validators=[UnicodeUsernameValidator(), validate_username_has_no_at],
        error_messages={"unique": _("A user with that username already exists.")},
    )
    # ``email`` is the address mail goes to; only a verified one is used to find the account (member
    # and co-owner look-ups, e-mail invitations). A new address waits in ``pending_email`` until its
    # link is followed; the old one stays in use meanwhile.
    # database defaults too: code (or a migration test) that predates these columns can still insert
    email_verified = models.BooleanField(_("e-mail address verified"), default=False, db_default=False)
    pending_email = models.EmailField(
        _("new e-mail address, not yet confirmed"), blank=True, default="", db_default=""
    )
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    orcid = models.CharField(_("ORCID iD"), max_length=19, blank=True, validators=[validate_orcid])
    affiliations = models.JSONField(_("affiliations"), default=list, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=8, default="en", choices=[("en", "English"), ("sv", "Svenska")]
    )
    notification_settings = models.JSONField(default=dict, blank=True)
    # Raised by staff when they grant a record more room (a quota request); None: USER_DRAFT_QUOTA_BYTES.
    draft_quota_bytes = models.BigIntegerField(
        _("allowance for unpublished files (bytes)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="user_email_ci_unique"
            ),
        ]

    def draft_allowance_bytes(self) -> int:
        """What the user's drafts and edit drafts may hold together, not yet published."""
        return max(settings.USER_DRAFT_QUOTA_BYTES, self.draft_quota_bytes or 0)

    def __str__(self) -> str:
        return self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    def wants_notification(self, kind: str) -> bool:
        return bool(self.notification_settings.get(kind, True))


# Who does something in a service verb: a signed-in user, an anonymous visitor, or None (system jobs).
Actor = User | AnonymousUser | None


class TokenScope(models.TextChoices):
    DEPOSIT_WRITE = "deposit:write", _("Create and edit uploads")
    DEPOSIT_ACTIONS = "deposit:actions", _("Publish, edit and discard uploads")
    CURATION_WRITE = "curation:write", _("Act on curation requests")
    DEPOSIT_READ = "deposit:read", _("Read your uploads, drafts and private fields included")
    USER_READ = "user:read", _("Read your profile")


class TokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now())
        )


class PersonalAccessToken(models.Model):
    """A bearer token for the APIs. Only the SHA-256 of the secret is stored; the secret is shown once."""

    PREFIX = "rpt_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)
    scopes = models.JSONField(default=list)
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    @classmethod
    def generate_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired
