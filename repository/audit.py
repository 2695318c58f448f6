"""The audit helper every service verb calls."""

from __future__ import annotations

from typing import Any

from django.db import models

from repository.models import AuditEntry


def object_label(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def audit(
    actor: Any,
    verb: str,
    obj: models.Model,
    *,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    """Write one audit row. ``actor`` may be None (system jobs) or an anonymous user."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.create(
        actor=actor,
        verb=verb,
        object_type=object_label(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        before=before,
        after=after,
        reason=reason or "",
    )


def history(obj: models.Model):
    return AuditEntry.objects.filter(object_type=object_label(obj), object_id=str(obj.pk)).select_related("actor")
