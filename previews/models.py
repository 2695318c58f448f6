"""Derivatives of stored files: a ``Preview`` per file version (how it went, with provenance and the
data a preview shows, such as a table's columns) and its ``PreviewObject`` rows, each a separate
stored object (a thumbnail, a larger image, an HTML rendering). The source is only ever read."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from storage.models import FileInstance, FileVersion


class PreviewState(models.TextChoices):
    RUNNING = "running", _("Being made")
    READY = "ready", _("Ready")
    FAILED = "failed", _("No preview possible")


class Preview(models.Model):
    """The derivatives of one file version, or why there are none."""

    # Emptied when the version goes (a replaced staged upload); the sweep then removes the objects.
    version = models.OneToOneField(FileVersion, null=True, on_delete=models.SET_NULL, related_name="preview")
    renderer = models.CharField(max_length=32)  # a key of previews.formats.SUFFIXES
    state = models.CharField(max_length=16, choices=PreviewState.choices, default=PreviewState.RUNNING)
    reason = models.TextField(blank=True, help_text=_("Why no preview could be made."))
    attempts = models.PositiveSmallIntegerField(default=1)
    # provenance: the bytes it was made from, and with what
    source_sha256 = models.CharField(max_length=71)
    tool = models.CharField(max_length=64, blank=True)
    tool_version = models.CharField(max_length=64, blank=True)
    # what the preview shows as data, e.g. {"format": "table", "columns": [{"name", "type"}], "rows": [...]}
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created"], name="preview_state_created")]

    def __str__(self) -> str:
        return f"preview of {self.version_id} ({self.renderer}, {self.state})"


class PreviewKind(models.TextChoices):
    THUMBNAIL = "thumbnail", _("Thumbnail")
    PREVIEW = "preview", _("Preview")


class PreviewObject(models.Model):
    """One derivative, stored as an object of its own."""

    preview = models.ForeignKey(Preview, on_delete=models.CASCADE, related_name="derivatives")
    kind = models.CharField(max_length=16, choices=PreviewKind.choices)
    instance = models.OneToOneField(FileInstance, on_delete=models.PROTECT, related_name="+")
    mimetype = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["preview", "kind"], name="one_preview_object_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.preview_id}"
