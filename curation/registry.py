"""The shipped registry of organisations the affiliation check knows (a JSON file, loaded into the database)."""

from __future__ import annotations

import json
from pathlib import Path

REGISTRY_FILE = Path(__file__).resolve().parent / "fixtures" / "stockholm_organisations.json"
FIELDS = ("name", "name_sv", "variants", "acronyms", "ror", "kind", "city")


def read_registry(path: Path = REGISTRY_FILE) -> list[dict]:
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    for entry in entries:
        entry.setdefault("city", "Stockholm")
    return entries


def load_registry(model=None, path: Path = REGISTRY_FILE, *, overwrite: bool = False) -> tuple[int, int]:
    """Create the file's entries that are missing (by key); with ``overwrite`` also reset existing ones.

    Returns (created, updated). Entries staff added or edited are kept unless ``overwrite``.
    """
    if model is None:
        from curation.models import Organisation as model
    created = updated = 0
    for entry in read_registry(path):
        values = {
            name: entry.get(name, "" if name not in ("variants", "acronyms") else []) for name in FIELDS
        }
        obj = model.objects.filter(key=entry["key"]).first()
        if obj is None:
            model.objects.create(key=entry["key"], **values)
            created += 1
        elif overwrite:
            for name, value in values.items():
                setattr(obj, name, value)
            obj.save()
            updated += 1
    return created, updated
