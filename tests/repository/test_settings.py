"""Bad configuration fails fast with one line naming what to fix."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from repository.env import parse_database_url, parse_email_url, parse_storage_locations

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_malformed_database_url_fails_with_one_line():
    result = run_manage("check", DATABASE_URL="postgres://nohost")
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line]
    assert len(lines) == 1, result.stderr
    assert "DATABASE_URL is malformed" in lines[0]


def test_production_without_secret_key_fails_with_one_line():
    result = run_manage("check", DJANGO_ENV="production", SITE_URL="https://repo.example.org")
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line]
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY must be set" in lines[0]


def test_production_requires_postgresql():
    result = run_manage(
        "check",
        DJANGO_ENV="production",
        SECRET_KEY="s3cret",
        SITE_URL="https://repo.example.org",
        DATABASE_URL="sqlite:///var/x.db",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode != 0
    assert "PostgreSQL in production" in result.stderr


@pytest.fixture
def test_database_url(db, settings):
    d = settings.DATABASES["default"]
    return f"postgres://{d['USER']}:{d['PASSWORD']}@{d['HOST']}:{d['PORT']}/{d['NAME']}"


def test_unreachable_broker_is_reported_in_one_line(test_database_url):
    result = run_manage(
        "preflight",
        DATABASE_URL=test_database_url,
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line]
    assert len(lines) == 1, result.stderr
    assert "broker unreachable" in lines[0] and "CELERY_BROKER_URL" in lines[0]


def test_preflight_passes_on_real_services(test_database_url):
    result = run_manage(
        "preflight", DATABASE_URL=test_database_url, CELERY_BROKER_URL="redis://127.0.0.1:6379/0"
    )
    assert result.returncode == 0, result.stderr
    assert "reachable" in result.stdout


def test_production_settings_are_secure():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0,"
        " s.LOGGING['handlers']['console']['formatter'], s.CELERY_TASK_ACKS_LATE,"
        " s.CELERY_TASK_REJECT_ON_WORKER_LOST, s.CELERY_WORKER_PREFETCH_MULTIPLIER)"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="s3cret",
        SITE_URL="https://repo.example.org",
        DATABASE_URL="postgres://u:p@db.example.org:5432/repo",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        DJANGO_SETTINGS_MODULE="repository.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "json", "True", "True", "1"]


def test_database_url_parsing(tmp_path):
    pg = parse_database_url("postgres://me:p%40ss@db:6543/repo?sslmode=require", tmp_path)
    assert (pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "repo",
        "me",
        "p@ss",
        "db",
        "6543",
    )
    assert pg["OPTIONS"] == {"sslmode": "require"}
    sqlite = parse_database_url("sqlite:///var/db.sqlite3", tmp_path)
    assert sqlite["NAME"] == str(tmp_path / "var/db.sqlite3")
    assert "journal_mode=WAL" in sqlite["OPTIONS"]["init_command"]
    absolute = parse_database_url("sqlite:////tmp/x.db", tmp_path)
    assert absolute["NAME"] == "/tmp/x.db"
    with pytest.raises(ImproperlyConfigured, match="unsupported scheme"):
        parse_database_url("mysql://x@y/z", tmp_path)


def test_storage_locations_and_email_url(tmp_path):
    assert parse_storage_locations("primary=file://var/a s3=s3://bucket/prefix", tmp_path) == [
        ("primary", "file://var/a"),
        ("s3", "s3://bucket/prefix"),
    ]
    with pytest.raises(ImproperlyConfigured, match="name=file://"):
        parse_storage_locations("justapath", tmp_path)
    smtp = parse_email_url("smtp://user:pw@mail.example.org:2525")
    assert smtp["EMAIL_HOST"] == "mail.example.org" and smtp["EMAIL_PORT"] == 2525 and smtp["EMAIL_USE_TLS"]
    assert parse_email_url("file:///tmp/mail")["EMAIL_FILE_PATH"] == "/tmp/mail"


PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "s3cret",
    "SITE_URL": "https://repo.example.org",
    "DATABASE_URL": "postgres://u:p@db.example.org:5432/repo",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_SETTINGS_MODULE": "repository.settings",
}


def _python(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "ALLOWED_HOSTS"}}
    clean.update(PRODUCTION_ENV, **env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_allows_only_the_site_host_by_default():
    result = _python(
        "import django; django.setup(); from django.conf import settings; print(settings.ALLOWED_HOSTS)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['repo.example.org']"
    result = _python(
        "import django; django.setup(); from django.conf import settings; print(settings.ALLOWED_HOSTS)",
        ALLOWED_HOSTS="repo.example.org,127.0.0.1",
    )
    assert result.stdout.strip() == "['repo.example.org', '127.0.0.1']"


def test_production_without_collected_static_files_refuses_to_start_in_one_line(tmp_path):
    for code in (
        "import repository.wsgi",
        "import sys; sys.argv = ['manage.py', 'preflight']; import runpy; runpy.run_path('manage.py', run_name='__main__')",
    ):
        result = _python(code, VAR_DIR=str(tmp_path))
        assert result.returncode != 0
        lines = [line for line in result.stderr.strip().splitlines() if line]
        assert len(lines) == 1, result.stderr
        assert "manage.py collectstatic" in lines[0]


def test_production_with_collected_static_files_starts(tmp_path):
    static = tmp_path / "staticfiles"
    static.mkdir()
    (static / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    result = _python("import repository.wsgi; print('started')", VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout
