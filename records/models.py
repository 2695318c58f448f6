from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RecordState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class RecordQuerySet(models.QuerySet):
    def published(self):
        return self.filter(state=RecordState.PUBLISHED)

    def public(self):
        """Records with a public landing page or tombstone (everything but drafts)."""
        return self.exclude(state=RecordState.DRAFT)

    def owned_by(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(owner=user) | Q(co_owners=user)).distinct()


class Record(models.Model):
    """A deposit. Its id and DOI never change; metadata is JSON validated by records/schemas/."""

    state = models.CharField(max_length=16, choices=RecordState.choices, default=RecordState.DRAFT, db_index=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="records")
    co_owners = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="co_owned_records")
    metadata = models.JSONField(default=dict, blank=True)
    schema_version = models.CharField(max_length=16, default="1.0.0")
    doi = models.CharField(max_length=255, blank=True, db_index=True)
    doi_is_external = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    # When the public view of the record last changed (publish, edit, withdraw, reinstate):
    # the OAI-PMH datestamp.
    datestamp = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["doi"], condition=~Q(doi=""), name="record_doi_unique"),
        ]
        indexes = [models.Index(fields=["datestamp", "id"], name="record_datestamp_id")]

    def __str__(self) -> str:
        return f"{self.pk}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("records:detail", args=[self.pk])

    @property
    def title(self) -> str:
        return self.metadata.get("title") or _("(untitled)")

    @property
    def creators_display(self) -> str:
        names = [c.get("name", "") for c in self.metadata.get("creators", [])]
        if len(names) > 3:
            return "; ".join(names[:3]) + "; et al."
        return "; ".join(names)

    @property
    def publication_date(self) -> str:
        return self.metadata.get("publication_date", "")

    @property
    def access_right(self) -> str:
        return self.metadata.get("access_right", "open")

    def is_draft(self) -> bool:
        return self.state == RecordState.DRAFT

    def is_published(self) -> bool:
        return self.state == RecordState.PUBLISHED

    def is_withdrawn(self) -> bool:
        return self.state == RecordState.WITHDRAWN

    def can_view(self, user) -> bool:
        """Drafts are private to owners and staff; published and withdrawn records are public pages."""
        if self.state != RecordState.DRAFT:
            return True
        return bool(user.is_authenticated and (user.is_staff or self.is_owner(user)))

    def embargo_lifted(self, today=None) -> bool:
        end = self.metadata.get("embargo_date")
        today = today or timezone.localdate()
        return bool(end) and end <= today.isoformat()

    def can_access_files(self, user) -> bool:
        """Open files are public; embargoed ones once the date passes; restricted/closed: owners and staff."""
        if user.is_authenticated and (user.is_staff or self.is_owner(user)):
            return True
        if self.state != RecordState.PUBLISHED:
            return False
        if self.access_right == "open":
            return True
        if self.access_right == "embargoed":
            return self.embargo_lifted()
        return False

    def is_owner(self, user) -> bool:
        if not user.is_authenticated:
            return False
        return user.pk == self.owner_id or self.co_owners.filter(pk=user.pk).exists()
