"""Small typed readers for environment variables.

Each raises ``ImproperlyConfigured`` with a one-line reason naming the variable,
so a bad deployment fails fast and says what to fix.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import overload
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


@overload
def env_str(name: str, default: str, *, required: bool = False) -> str: ...
@overload
def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None: ...
def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfigured(f"{name} must be set (see README, 'Configuration').")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use true or false.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.")
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


_RATE = re.compile(r"^[1-9][0-9]*/[smhd]$")


def env_rate(name: str, default: str) -> str:
    """A rate such as ``5/h`` or ``600/m`` (count per second, minute, hour or day)."""
    value = (os.environ.get(name) or default).strip()
    if not _RATE.match(value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate: write COUNT/PERIOD, e.g. 5/h or 600/m.")
    return value


def env_float(name: str, default: float | None) -> float | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.")


def env_list(name: str, default: list[str] | None = None, sep: str | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default or [])
    separator = sep if sep is not None else ("," if "," in value else None)
    return [item.strip() for item in value.split(separator) if item.strip()]


def parse_database_url(url: str, base_dir: Path, *, name: str = "DATABASE_URL") -> dict:
    """Turn ``postgres://user:pass@host:port/db`` or ``sqlite:///path`` into a Django DATABASES entry."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"postgres", "postgresql", "pgsql"}:
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname or not parts.hostname:
            raise ImproperlyConfigured(
                f"{name} is malformed: expected postgres://user:password@host:5432/dbname, got {url!r}."
            )
        try:
            port = parts.port or 5432
        except ValueError:
            raise ImproperlyConfigured(f"{name} has an invalid port: {url!r}.")
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": dbname,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname,
            "PORT": str(port),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    if scheme == "sqlite":
        raw = url[len("sqlite://") :]
        if raw in {"", "/"}:
            raise ImproperlyConfigured(
                f"{name} is malformed: expected sqlite:///relative/or/absolute/path.db."
            )
        path = raw[1:] if raw.startswith("/") and not raw.startswith("//") else raw
        # sqlite:////abs/path → "//abs/path" → "/abs/path"; sqlite:///rel → "rel"
        if raw.startswith("//"):
            path = raw[1:]
        db_path = Path(path) if Path(path).is_absolute() else base_dir / path
        return sqlite_database(db_path)
    raise ImproperlyConfigured(
        f"{name} has an unsupported scheme {parts.scheme or '(none)'!r}: use postgres:// or sqlite:///."
    )


def sqlite_database(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


def parse_storage_locations(value: str, base_dir: Path) -> list[tuple[str, str]]:
    """``"primary=file://var/storage/primary s3=s3://bucket/prefix"`` → [(name, url), ...]."""
    locations = []
    for item in value.split():
        if "=" not in item:
            raise ImproperlyConfigured(
                f"STORAGE_LOCATIONS entry {item!r} must look like name=file://path or name=s3://bucket/prefix."
            )
        loc_name, url = item.split("=", 1)
        scheme = urlsplit(url).scheme
        if scheme not in {"file", "s3"} or not loc_name:
            raise ImproperlyConfigured(
                f"STORAGE_LOCATIONS entry {item!r}: the URL must start with file:// or s3://."
            )
        locations.append((loc_name, url))
    if not locations:
        raise ImproperlyConfigured("STORAGE_LOCATIONS is empty: name at least one location.")
    return locations


def parse_location_sites(value: str, locations: list[tuple[str, str]]) -> dict[str, str]:
    """``"primary=stockholm s3=offsite"`` → {location name: site label}; names must be configured."""
    names = {name for name, _url in locations}
    sites = {}
    for item in value.split():
        loc_name, _sep, site = item.partition("=")
        if loc_name not in names or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", site):
            raise ImproperlyConfigured(
                f"STORAGE_LOCATION_SITES entry {item!r} must look like name=site, where name is one of "
                f"STORAGE_LOCATIONS ({', '.join(sorted(names))}) and site a label such as stockholm."
            )
        sites[loc_name] = site
    return sites


def parse_email_url(url: str) -> dict:
    """``smtp://user:pass@host:587?tls=1``, ``console://``, ``file:///path``, ``locmem://``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme == "file":
        path = unquote(url[len("file://") :])
        if not path:
            raise ImproperlyConfigured("EMAIL_URL=file:// needs a folder, e.g. file:///var/mail.")
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": path,
        }
    if scheme in {"smtp", "smtps", "submission"}:
        if not parts.hostname:
            raise ImproperlyConfigured(
                f"EMAIL_URL is malformed: expected smtp://user:pass@host:port, got {url!r}."
            )
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": parts.port or (465 if scheme == "smtps" else 587),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": scheme == "smtps",
            "EMAIL_USE_TLS": scheme != "smtps" and query.get("tls", "1") not in {"0", "false"},
        }
    raise ImproperlyConfigured(
        f"EMAIL_URL has an unsupported scheme {scheme!r}: use smtp, smtps, console, file."
    )
