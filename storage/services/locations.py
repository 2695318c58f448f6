"""Locations (``STORAGE_LOCATIONS``) and removing bytes from them."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.db import transaction

from storage.backends import BackendError
from storage.models import Location


def sync_locations() -> list[Location]:
    """Make the Location rows match ``STORAGE_LOCATIONS`` (the first is primary)."""
    configured = list(settings.STORAGE_LOCATIONS)
    rows = {loc.name: loc for loc in Location.objects.all()}
    wanted = {name: (url, index == 0) for index, (name, url) in enumerate(configured)}
    if all(
        name in rows and rows[name].url == url and rows[name].is_primary == primary and rows[name].active
        for name, (url, primary) in wanted.items()
    ) and all(not loc.active for name, loc in rows.items() if name not in wanted):
        return [rows[name] for name in wanted]
    with transaction.atomic():
        Location.objects.exclude(name__in=wanted).update(active=False, is_primary=False)
        Location.objects.filter(is_primary=True).exclude(name=configured[0][0]).update(is_primary=False)
        result = []
        for name, (url, primary) in wanted.items():
            loc, _created = Location.objects.update_or_create(
                name=name, defaults={"url": url, "is_primary": primary, "active": True}
            )
            result.append(loc)
    return result


def primary_location() -> Location:
    """The first configured location; new bytes go there."""
    location = sync_locations()[0]
    if not location.backend().supports_uploads:
        raise BackendError(
            f"the primary storage location {location.name!r} does not support uploads (begin_upload)"
        )
    return location


def bytes_gone_on_commit(location: Location, path: str) -> None:
    transaction.on_commit(lambda: delete_quietly(location, path))


def delete_quietly(location: Location, path: str) -> None:
    with contextlib.suppress(OSError, BackendError):  # a leftover file is harmless: no row points at it
        location.backend().delete(path)


def replicas_wanted() -> bool:
    """More than one location is configured: published bytes are copied to the others."""
    return len(settings.STORAGE_LOCATIONS) > 1
