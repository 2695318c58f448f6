"""Database-agnostic dumps of rows: Django's JSON serialisation (as ``dumpdata`` writes it, with
natural keys for content types and permissions), so ``manage.py loaddata`` restores them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.db import models

# Rebuilt by ``migrate`` in every database (and read through natural keys), or worthless elsewhere.
NOT_DUMPED = {"contenttypes.contenttype", "auth.permission", "sessions.session", "admin.logentry"}


def label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def all_models() -> list[type[models.Model]]:
    """Every concrete, managed model in dependency order (referenced models first)."""
    app_list = {config: None for config in apps.get_app_configs() if config.models_module is not None}
    ordered = serializers.sort_dependencies(app_list.items(), allow_cycles=True)
    # Rows name their users by username (a natural key): groups, then users, come first.
    first = ["auth.group", settings.AUTH_USER_MODEL.lower()]
    ordered.sort(key=lambda model: first.index(label(model)) if label(model) in first else len(first))
    return [
        model
        for model in ordered
        if model._meta.managed and not model._meta.proxy and label(model) not in NOT_DUMPED
    ]


def backup_models() -> list[type[models.Model]]:
    return all_models()


def rows(model: type[models.Model]) -> Iterator[models.Model]:
    return model._base_manager.order_by(model._meta.pk.name).iterator(chunk_size=2000)


def dump(out: IO[str], models_to_dump: Iterable[type[models.Model]]) -> None:
    """Serialise every row of the models into one JSON array written to ``out``."""
    dump_objects(out, (obj for model in models_to_dump for obj in rows(model)))


def dump_objects(out: IO[str], objects: Iterable[models.Model]) -> None:
    serializers.serialize(
        "json",
        objects,
        stream=out,
        indent=None,
        use_natural_foreign_keys=True,
        use_natural_primary_keys=False,
    )
