"""The layering rules import-linter cannot see: imports inside functions and ``except ImportError``.

import-linter (``lint-imports``, contracts in pyproject.toml) checks who may import whom; it counts an
import inside a function like any other. These tests keep the two habits that hide a tangle out of
the product code: reaching another app from inside a function, and guarding a project import.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "repository",
    "audit",
    "mail",
    "identifiers",
    "accounts",
    "storage",
    "communities",
    "previews",
    "stats",
    "records",
    "curation",
    "oaipmh",
    "archive",
    "staff",
    "zenodo",
    "aitools",
    "repo_client",  # the command-line uploader: no Django, no project app (import-linter forbids them)
)

# Function-level imports between apps that are allowed, each with its reason (at most three).
ALLOWED_LATE_IMPORTS: dict[tuple[str, str], str] = {}


def product_modules():
    for app in APPS:
        paths = [ROOT / f"{app}.py"] if (ROOT / f"{app}.py").exists() else sorted((ROOT / app).rglob("*.py"))
        for path in paths:
            if "migrations" in path.parts:
                continue
            yield app, path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_roots(node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.ImportFrom):
        return {(node.module or "").split(".")[0]} if node.level == 0 else set()
    return {alias.name.split(".")[0] for alias in node.names}


def late_imports(tree: ast.Module):
    """Imports inside a function or method body (class bodies and module level are fine)."""
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    yield node


def test_no_function_level_imports_between_apps():
    found = []
    for app, path, tree in product_modules():
        for node in late_imports(tree):
            for root in imported_roots(node) & set(APPS) - {app}:
                rel = str(path.relative_to(ROOT))
                if (rel, root) not in ALLOWED_LATE_IMPORTS:
                    found.append(f"{rel}:{node.lineno} imports {root} inside a function")
    assert found == []
    assert len(ALLOWED_LATE_IMPORTS) <= 3


def test_no_import_error_guards_around_project_modules():
    found = []
    for _app, path, tree in product_modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Try):
                continue
            guards_import_error = any(
                handler.type is not None and "ImportError" in ast.unparse(handler.type)
                for handler in node.handlers
            )
            imports = {
                root
                for stmt in node.body
                for n in ast.walk(stmt)
                if isinstance(n, ast.Import | ast.ImportFrom)
                for root in imported_roots(n)
            }
            if guards_import_error and imports & set(APPS):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_no_calls_by_name_into_project_modules():
    """``import_string``/``import_module`` of project code hides an import from every tool."""
    found = []
    for _app, path, tree in product_modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] in (
                "import_string",
                "import_module",
            ):
                argument = node.args[0] if node.args else None
                if (
                    isinstance(argument, ast.Constant) and str(argument.value).split(".")[0] in APPS
                ) or isinstance(argument, ast.JoinedStr):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
