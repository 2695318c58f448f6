"""Who does a storage verb: ``accounts.models.Actor`` (a user, an anonymous visitor, or None)."""

from __future__ import annotations

from accounts.models import Actor, User


def recorded_user(actor: Actor) -> User | None:
    """The actor as the user a row records (``created_by``, ``quota_granted_by``); None unless signed in."""
    return actor if isinstance(actor, User) and actor.is_authenticated else None
