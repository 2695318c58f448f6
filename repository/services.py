"""Checks on the services the portal depends on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings


def broker_reachable(timeout: float = 3) -> tuple[bool, str]:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return False, f"broker folder {folder} is not writable ({exc.strerror})"
        return True, ""
    if url.startswith("memory://"):
        return True, ""
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=timeout) as conn:
            # kombu's stubs say int, kombu itself takes any number of seconds
            conn.ensure_connection(max_retries=1, timeout=timeout)  # type: ignore[arg-type]
        return True, ""
    except Exception as exc:  # kombu wraps many transport errors
        return False, f"{exc.__class__.__name__}: {exc}"


def database_reachable() -> tuple[bool, str]:
    from django.db import connection

    try:
        connection.ensure_connection()
        return True, ""
    except Exception as exc:
        return (
            False,
            f"{exc.__class__.__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}",
        )


def static_files_problem() -> str | None:
    """One line naming what to run when the pages' static files are not collected (production's
    manifest storage answers every page that links a static file with a 500 without them)."""
    staticfiles: Any = settings.STORAGES["staticfiles"]
    backend = str(staticfiles["BACKEND"])
    if "Manifest" not in backend:
        return None  # development serves the files from their folders
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.is_file():
        return None
    return (
        f"static files are not collected ({manifest} is missing): "
        "run `python manage.py collectstatic --noinput` before starting the server."
    )
