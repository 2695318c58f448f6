"""Locations (``STORAGE_LOCATIONS``) and removing bytes from them."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.db import transaction

from storage.backends import BackendError
from storage.models import Location


def sync_locations() -> list[Location]:
    """Make the Location rows match ``STORAGE_LOCATIONS`` (the first is primary) and their sites.

    A location no longer configured keeps its row (``active`` false), so its replicas stay on record and
    are reported (``unconfigured_replicas``) rather than dropped."""
    configured = list(settings.STORAGE_LOCATIONS)
    sites = settings.STORAGE_LOCATION_SITES
    rows = {loc.name: loc for loc in Location.objects.all()}
    wanted = {name: (url, index == 0, sites.get(name, "")) for index, (name, url) in enumerate(configured)}
    if all(
        name in rows
        and (rows[name].url, rows[name].is_primary, rows[name].site) == (url, primary, site)
        and rows[name].active
        for name, (url, primary, site) in wanted.items()
    ) and all(not loc.active for name, loc in rows.items() if name not in wanted):
        return [rows[name] for name in wanted]
    with transaction.atomic():
        Location.objects.exclude(name__in=wanted).update(active=False, is_primary=False)
        Location.objects.filter(is_primary=True).exclude(name=configured[0][0]).update(is_primary=False)
        result = []
        for name, (url, primary, site) in wanted.items():
            loc, _created = Location.objects.update_or_create(
                name=name, defaults={"url": url, "is_primary": primary, "active": True, "site": site}
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
