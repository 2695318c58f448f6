import logging
import os
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import task_failure, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repository.settings")

logger = logging.getLogger(__name__)

app = Celery("repository")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_folders() -> None:
    """kombu's filesystem transport does not create its folders itself."""
    from django.conf import settings

    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        return
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@worker_init.connect
def _prepare_worker(**kwargs: Any) -> None:
    ensure_broker_folders()


@task_failure.connect
def _log_task_failure(
    sender: Any = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    **kwargs: Any,
) -> None:
    """A task that failed for good (no retry left) needs an operator: say which, and why, at WARNING."""
    name = getattr(sender, "name", None) or repr(sender)
    logger.warning(
        "task %s [%s] failed: %s: %s",
        name,
        task_id,
        type(exception).__name__,
        exception,
        exc_info=(type(exception), exception, exception.__traceback__) if exception is not None else None,
    )
