"""Test defaults: the real services at 127.0.0.1 (PostgreSQL and Redis), then the one settings file.

Only environment defaults are set here; every value still flows through repository/settings.py.
"""

import os
import tempfile

os.environ.setdefault(
    "DATABASE_URL", os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/repository")
)
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("CELERY_BROKER_URL", os.environ["REDIS_URL"])
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("CACHE_KEY_PREFIX", f"test-{os.getpid()}")
os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"test-{os.getpid()}")
_var = os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="repository-test-var-"))
os.environ.setdefault(
    "STORAGE_LOCATIONS", f"primary=file://{_var}/storage/primary replica=file://{_var}/storage/replica"
)
os.environ.setdefault("DOI_PREFIX", "10.5072")

from repository.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; real hashers in production
