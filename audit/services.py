"""The audit helper every service verb calls."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models

from audit.models import AuditEntry


@dataclass(frozen=True)
class Subject:
    """What an entry is about, for code that holds a reference rather than the row itself: a storage
    bucket names the object that owns it (``"records.record"``, ``"12"``) without importing its app."""

    type: str
    id: str
    label: str = ""

    def __str__(self) -> str:
        return self.label or f"{self.type}:{self.id}"


def object_label(obj: models.Model | Subject) -> str:
    if isinstance(obj, Subject):
        return obj.type
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def object_id(obj: models.Model | Subject) -> str:
    return obj.id if isinstance(obj, Subject) else str(obj.pk)


def audit(
    actor: AbstractBaseUser | AnonymousUser | None,
    verb: str,
    obj: models.Model | Subject,
    *,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    """Write one audit row. ``actor`` may be None (system jobs) or an anonymous user."""
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    return AuditEntry.objects.create(
        actor_id=actor_id,
        verb=verb,
        object_type=object_label(obj),
        object_id=object_id(obj),
        object_repr=str(obj)[:255],
        before=before,
        after=after,
        reason=reason or "",
    )


def history(obj: models.Model | Subject) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type=object_label(obj), object_id=object_id(obj)).select_related(
        "actor"
    )
