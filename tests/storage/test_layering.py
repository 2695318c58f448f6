"""Storage is about bytes: no relation to, and no import of, the apps above it."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps

import storage

HIGHER = ("records", "communities", "curation", "oaipmh", "repository")


def test_no_storage_model_relates_to_a_higher_app():
    # A string reference such as "records.Record" is invisible to import-linter: check the models.
    # The one relation allowed is the hidden reverse side ("+") of a higher model's FK to a bucket:
    # it gives storage no attribute, manager or query name for the higher model.
    for model in apps.get_app_config("storage").get_models():
        for field in model._meta.get_fields(include_hidden=True):
            related = getattr(field, "related_model", None)
            if related is None:
                continue
            label = related.split(".")[0] if isinstance(related, str) else related._meta.app_label
            if label not in HIGHER:
                continue
            assert field.auto_created and not field.concrete and field.hidden, (
                f"{model.__name__}.{field.name} relates to {related}"
            )


def test_storage_imports_nothing_from_a_higher_app():
    root = Path(storage.__file__).parent
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue  # 0001 predates buckets; migrations import no app code anyway
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in HIGHER, f"{path.relative_to(root.parent)} imports {name}"
