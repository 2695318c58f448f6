from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identifiers import validate_orcid


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    orcid = models.CharField(_("ORCID iD"), max_length=19, blank=True, validators=[validate_orcid])
    affiliations = models.JSONField(_("affiliations"), default=list, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=8, default="en", choices=[("en", "English"), ("sv", "Svenska")]
    )
    notification_settings = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

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
    USER_READ = "user:read", _("Read your profile")


class TokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class PersonalAccessToken(models.Model):
    """A bearer token for the APIs. Only the SHA-256 of the secret is stored; the secret is shown once."""

    PREFIX = "rpt_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)
    scopes = models.JSONField(default=list)
    created = models.DateTimeField(default=timezone.now)
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
    def is_active(self) -> bool:
        return self.revoked_at is None
