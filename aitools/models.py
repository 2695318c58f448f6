"""Anonymous, expiring reviewer links to never-published drafts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReviewLinkQuerySet(models.QuerySet):
    def active(self, today=None):
        """Links not revoked and not past their last day (the expiry date is the last valid day)."""
        today = today or timezone.localdate()
        return self.filter(revoked_at__isnull=True, expires_on__gte=today)


class ReviewLink(models.Model):
    """An anonymous, expiring link to a never-published draft for double-blind reviewers.

    Only the SHA-256 of the token is stored; the owner sees the link once, when it is made.
    """

    record = models.ForeignKey("records.Record", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=200, blank=True)  # the owner's own note: "NeurIPS D&B 2026"
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    expires_on = models.DateField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    visits = models.PositiveIntegerField(default=0)
    last_visit = models.DateTimeField(null=True, blank=True)

    objects = ReviewLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"review link {self.pk} of record {self.record_id}"

    def is_active(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.revoked_at is None and self.expires_on >= today
