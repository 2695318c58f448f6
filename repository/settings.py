"""The one settings file. Every value comes from the environment (see README, 'Configuration').

Defaults are the embedded development ones: SQLite under var/, files under var/storage/,
Celery on kombu's filesystem transport under var/. Production (DJANGO_ENV=production)
requires the real services to be named.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from repository.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_str,
    parse_database_url,
    parse_email_url,
    parse_location_sites,
    parse_storage_locations,
    sqlite_database,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV={DJANGO_ENV!r}: use development or production.")
PRODUCTION = DJANGO_ENV == "production"

SECRET_KEY = env_str("SECRET_KEY", required=PRODUCTION) or "dev-insecure-6v1#k0l8-not-for-production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

# Unset, SITE_URL follows HOST and PORT (make run's), so that absolute links name the served port.
_serve_host = env_str("HOST", "127.0.0.1")
_serve_host = "127.0.0.1" if _serve_host in ("", "0.0.0.0", "::") else _serve_host  # noqa: S104 (a URL, not a bind)
_serve_host = f"[{_serve_host}]" if ":" in _serve_host and not _serve_host.startswith("[") else _serve_host
SITE_URL = (
    env_str("SITE_URL", required=PRODUCTION) or f"http://{_serve_host}:{env_str('PORT', '8000')}"
).rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme not in {"http", "https"} or not _site.hostname:
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must be an absolute http(s) URL.")
SITE_NAME = env_str("SITE_NAME", "Community Research Repository")
OAI_REPOSITORY_IDENTIFIER = env_str("OAI_REPOSITORY_IDENTIFIER", _site.hostname)

# Production answers for SITE_URL's host and the hosts ALLOWED_HOSTS adds (compose adds the
# healthcheck's 127.0.0.1); development without the variable answers for any host.
ALLOWED_HOSTS = list(dict.fromkeys([_site.hostname, *env_list("ALLOWED_HOSTS", [])]))
if not PRODUCTION and "ALLOWED_HOSTS" not in os.environ:
    ALLOWED_HOSTS = ["*"]
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "repository",
    "audit",
    "mail",
    "accounts",
    "communities",
    "storage",
    "previews",
    "stats",
    "records",
    "curation",
    "oaipmh",
    "archive",
    "staff",
    "zenodo",
    "aitools",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "repository.middleware.ApiErrorMiddleware",  # one JSON error shape under /api/v1/
    "repository.guards.security_headers",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "repository.guards.refuse_control_characters",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "repository.middleware.RedactTokenRedirectMiddleware",
    "repository.middleware.AnonymousRateLimitMiddleware",
    "axes.middleware.AxesMiddleware",
    "repository.middleware.OwnNotFoundPageMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LoginLockoutBackend",  # django-axes: refuses a locked (account, address) pair
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "repository.urls"
WSGI_APPLICATION = "repository.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/uploads/"
LOGOUT_REDIRECT_URL = "/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # an operator's templates (TEMPLATE_OVERRIDE_DIR) replace the shipped ones of the same name
        "DIRS": [
            *([Path(_override)] if (_override := env_str("TEMPLATE_OVERRIDE_DIR")) else []),
            BASE_DIR / "templates",
        ],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "repository.context_processors.site",
                "curation.context_processors.curation",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------
_database_url = env_str("DATABASE_URL", required=PRODUCTION)
if _database_url:
    DATABASES = {"default": parse_database_url(_database_url, BASE_DIR)}
else:
    try:  # the embedded default keeps its database in VAR_DIR: make sure the folder exists
        VAR_DIR.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(f"VAR_DIR={VAR_DIR} cannot be created ({exc.strerror}).")
    DATABASES = {"default": sqlite_database(VAR_DIR / "db.sqlite3")}
if PRODUCTION and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production (postgres://...).")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (Redis when REDIS_URL is set) -----------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    if urlsplit(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r} must start with redis:// or rediss://.")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "repo"),
        },
        # the rate limiters' counters, shared by every worker (README, 'Security')
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "repo") + "-rl",
        },
    }
else:
    # without Redis the limits count per process (make run, tests of settings): axes says so (W001)
    SILENCED_SYSTEM_CHECKS = ["axes.W001"]
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"},
    }

# --- Celery -------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "celery-broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", required=PRODUCTION) or "filesystem://"
_broker_scheme = urlsplit(CELERY_BROKER_URL).scheme
if _broker_scheme not in {"filesystem", "redis", "rediss", "amqp", "amqps", "memory"}:
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL={CELERY_BROKER_URL!r}: use redis://host:6379/0, amqp://… or filesystem://."
    )
if _broker_scheme == "filesystem":
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
        "polling_interval": 0.5,
    }
    CELERY_RESULT_BACKEND = None
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
    CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "repository")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = 5
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Periodic jobs (Celery beat). Tasks are named as the broker names them; each fans out small tasks.
CELERY_BEAT_SCHEDULE: dict = {
    # hourly, so an embargo ends within the hour after midnight (UTC) of its end date
    "records-lift-embargoes": {"task": "records.tasks.lift_embargoes", "schedule": crontab(minute=7)},
    # hourly: an upload untouched for 24 hours is gone within 25
    "storage-remove-stale-uploads": {
        "task": "storage.tasks.remove_stale_uploads",
        "schedule": crontab(minute=17),
    },
    # hourly: a request expires within the hour it is due
    "curation-expire-requests": {"task": "curation.tasks.expire_requests", "schedule": crontab(minute=17)},
    # hourly: withdrawal proposals past their consent deadline are shown to staff as "no answer"
    "records-overdue-withdrawal-proposals": {
        "task": "records.tasks.mark_overdue_proposals",
        "schedule": crontab(minute=27),
    },
    # fixity: every copy of every file is re-read and checked within FIXITY_CYCLE_DAYS
    "storage-fixity-sweep": {
        "task": "storage.tasks.fixity_sweep",
        "schedule": float(env_int("FIXITY_SWEEP_INTERVAL_SECONDS", 3600, minimum=1)),
    },
    # replicas still pending after REPLICATION_PENDING_MINUTES (their retries ran out) are copied again
    "storage-replicate-pending": {
        "task": "storage.tasks.replicate_pending",
        "schedule": float(env_int("REPLICATION_SWEEP_INTERVAL_SECONDS", 600, minimum=1)),
    },
    # OAI-PMH pulls: records whose payloads are missing or older than their datestamp are rendered
    "oaipmh-render-stale": {
        "task": "oaipmh.tasks.render_stale",
        "schedule": float(env_int("OAI_RENDER_INTERVAL_SECONDS", 15, minimum=1)),
    },
    # previews: versions stored without a scheduled preview, or whose worker died, get one
    "previews-sweep": {
        "task": "previews.tasks.sweep_previews",
        "schedule": float(env_int("PREVIEW_SWEEP_INTERVAL_SECONDS", 600, minimum=1)),
    },
    # archive: published records whose datestamp moved since their last bag get a new BagIt bag
    "archive-bag-changed-records": {
        "task": "archive.tasks.bag_changed_records",
        "schedule": float(env_int("ARCHIVE_SWEEP_INTERVAL_SECONDS", 300, minimum=1)),
    },
    # nightly: a compressed, dated dump of all metadata (the last BACKUP_KEEP are kept)
    "archive-backup-metadata": {
        "task": "archive.tasks.backup_metadata",
        "schedule": crontab(hour=2, minute=37),
    },
    # nightly: staff hear of every file without a verified copy at a second site
    "archive-check-second-copies": {
        "task": "archive.tasks.check_second_copies",
        "schedule": crontab(hour=3, minute=47),
    },
    # usage statistics: the day's events summed into per-record daily rows (COUNTER rules)
    "stats-aggregate": {
        "task": "stats.tasks.aggregate",
        "schedule": float(env_int("STATS_AGGREGATE_INTERVAL_SECONDS", 300, minimum=1)),
    },
}
# Usage statistics (COUNTER R5.1): views of landing pages and downloads of files are counted
# (one small insert per request; off: nothing is written)
STATS_COUNTING = env_bool("STATS_COUNTING", True)

# --- Storage ------------------------------------------------------------------------------
STORAGE_LOCATIONS = parse_storage_locations(
    env_str("STORAGE_LOCATIONS", f"primary=file://{VAR_DIR / 'storage' / 'primary'}"), BASE_DIR
)
# Site label of each location ("primary=stockholm replica=offsite"), shown in the fixity report.
STORAGE_LOCATION_SITES = parse_location_sites(env_str("STORAGE_LOCATION_SITES", ""), STORAGE_LOCATIONS)
S3_ENDPOINT_URL = env_str("S3_ENDPOINT_URL")
AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID")
AWS_SECRET_ACCESS_KEY = env_str("AWS_SECRET_ACCESS_KEY")
AWS_REGION = env_str("AWS_REGION", "us-east-1")
# path: https://endpoint/bucket/key (MinIO, most S3-compatible servers); virtual: bucket.endpoint.
S3_ADDRESSING_STYLE = env_str("S3_ADDRESSING_STYLE", "path")
if S3_ADDRESSING_STYLE not in ("path", "virtual", "auto"):
    raise ImproperlyConfigured(f"S3_ADDRESSING_STYLE={S3_ADDRESSING_STYLE!r}: use path, virtual or auto.")
S3_PART_BYTES = env_int("S3_PART_BYTES", 8 * 1024 * 1024, minimum=5 * 1024 * 1024)
S3_CONNECT_TIMEOUT = env_int("S3_CONNECT_TIMEOUT", 5, minimum=1)
# Downloads from an S3 location: a redirect to a presigned URL valid this long, instead of streaming.
S3_PRESIGNED_DOWNLOADS = env_bool("S3_PRESIGNED_DOWNLOADS", False)
S3_PRESIGN_SECONDS = env_int("S3_PRESIGN_SECONDS", 300, minimum=10)
UPLOAD_TEMP_DIR = VAR_DIR / "uploads"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Form fields per request: the deposit form of a record at the creator cap (5,000 creators with
# their names, identifiers and affiliations) stays below it.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 60_000, minimum=1000)
# JSON request bodies (the APIs) nest at most this deep; record metadata needs about six levels.
JSON_MAX_DEPTH = env_int("JSON_MAX_DEPTH", 32, minimum=8)
X_ACCEL_REDIRECT_PREFIX = env_str("X_ACCEL_REDIRECT_PREFIX")  # e.g. /protected/ behind nginx
STORAGE_UPLOAD_CHUNK_BYTES = env_int("STORAGE_UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024, minimum=64 * 1024)
STORAGE_ZIP_MAX_BYTES = env_int("STORAGE_ZIP_MAX_BYTES", 10 * 10**9, minimum=0)

# --- Records, DOIs, quotas, curation, OAI-PMH, fixity -------------------------------------------
DOI_PROVIDER = env_str("DOI_PROVIDER", "local")
if DOI_PROVIDER not in {"local", "datacite"}:
    raise ImproperlyConfigured(f"DOI_PROVIDER={DOI_PROVIDER!r}: use local or datacite.")
DOI_PREFIX = env_str("DOI_PREFIX", "10.5072")
DATACITE_USERNAME = env_str("DATACITE_USERNAME", required=DOI_PROVIDER == "datacite")
DATACITE_PASSWORD = env_str("DATACITE_PASSWORD", required=DOI_PROVIDER == "datacite")
DATACITE_URL = env_str("DATACITE_URL", "https://api.test.datacite.org")
# oai_datacite's datacentreSymbol: the DataCite repository symbol (e.g. CERN.ZENODO); by default the
# DataCite account, which is that symbol. Never guessed from the host name.
DATACITE_DATACENTRE_SYMBOL = env_str("DATACITE_DATACENTRE_SYMBOL", (DATACITE_USERNAME or "").upper())
RECORD_QUOTA_BYTES = env_int("RECORD_QUOTA_BYTES", 50 * 10**9, minimum=0)
# Long lists (creators, contributors, references, related works) show this many items inline on a
# record's pages and in its page's citation and JSON-LD; "and 2,311 more" links to the full list.
LANDING_LIST_ITEMS = env_int("LANDING_LIST_ITEMS", 25, minimum=1)
# The deposit form edits creators, contributors and related identifiers row by row up to this many;
# a longer list is shown as a count, kept on save and edited through the API.
FORM_MAX_ROWS = env_int("FORM_MAX_ROWS", 200, minimum=10)
# The full list of creators (/records/<id>/creators/) shows this many per page.
CREATORS_PAGE_SIZE = env_int("CREATORS_PAGE_SIZE", 500, minimum=10)
# FAIR Signposting: a relation with more targets than this is left out of the Link header (linkset only)
SIGNPOSTING_HEADER_LINKS = env_int("SIGNPOSTING_HEADER_LINKS", 25, minimum=1)
# URLs per sitemap file of /sitemap.xml (sitemaps.org allows at most 50,000)
SITEMAP_MAX_URLS = env_int("SITEMAP_MAX_URLS", 50_000, minimum=1)
if SITEMAP_MAX_URLS > 50_000:
    raise ImproperlyConfigured(f"SITEMAP_MAX_URLS={SITEMAP_MAX_URLS}: sitemaps.org allows at most 50000.")

# --- AI research tools (Croissant, cards, CITATION.cff, reviewer links) ------------------------
# An anonymous reviewer link lasts at most this many days (the owner picks the date).
REVIEW_LINK_MAX_DAYS = env_int("REVIEW_LINK_MAX_DAYS", 365, minimum=1)
# CITATION.cff import: the largest CITATION.cff read, and how many archive entries are looked through
CFF_IMPORT_MAX_BYTES = env_int("CFF_IMPORT_MAX_BYTES", 1024 * 1024, minimum=1024)
CFF_ARCHIVE_MAX_MEMBERS = env_int("CFF_ARCHIVE_MAX_MEMBERS", 10_000, minimum=1)

RECORD_MAX_FILES = env_int("RECORD_MAX_FILES", 1000, minimum=1)
# Per user, across all their drafts and edit drafts: staged bytes plus unfinished uploads, and open drafts.
USER_DRAFT_QUOTA_BYTES = env_int("USER_DRAFT_QUOTA_BYTES", 100 * 10**9, minimum=0)
USER_MAX_OPEN_DRAFTS = env_int("USER_MAX_OPEN_DRAFTS", 50, minimum=1)
OAI_PAGE_SIZE = env_int("OAI_PAGE_SIZE", 500, minimum=1)
OAI_TOKEN_TTL_HOURS = env_int("OAI_TOKEN_TTL_HOURS", 24, minimum=1)
# Previews (derivatives): each is made in a child process held to this time and address space.
PREVIEW_TIMEOUT_S = env_float("PREVIEW_TIMEOUT_S", 60.0) or 60.0
PREVIEW_MAX_MEMORY_MB = env_int("PREVIEW_MAX_MEMORY_MB", 512, minimum=384)
PREVIEW_MAX_SOURCE_MB = env_int("PREVIEW_MAX_SOURCE_MB", 2048, minimum=1)
PREVIEW_MAX_PIXELS = env_int("PREVIEW_MAX_PIXELS", 40_000_000, minimum=1)
PREVIEW_TABLE_ROWS = env_int("PREVIEW_TABLE_ROWS", 20, minimum=1)
PREVIEW_TEXT_MAX_BYTES = env_int("PREVIEW_TEXT_MAX_BYTES", 256 * 1024, minimum=1024)
PREVIEW_ARCHIVE_MAX_ENTRIES = env_int("PREVIEW_ARCHIVE_MAX_ENTRIES", 1000, minimum=1)
PREVIEW_ARCHIVE_MAX_RATIO = env_int("PREVIEW_ARCHIVE_MAX_RATIO", 100, minimum=2)
PREVIEW_NOTEBOOK_MAX_MB = env_int("PREVIEW_NOTEBOOK_MAX_MB", 20, minimum=1)
PREVIEW_MAX_ATTEMPTS = env_int("PREVIEW_MAX_ATTEMPTS", 2, minimum=1)
PREVIEW_SWEEP_BATCH = env_int("PREVIEW_SWEEP_BATCH", 200, minimum=1)
PREVIEW_LANDING_INLINE = env_int("PREVIEW_LANDING_INLINE", 3, minimum=0)
FIXITY_CYCLE_DAYS = env_int("FIXITY_CYCLE_DAYS", 30, minimum=1)
# The policy page's "Backups" item: what the operator backs up, how often, where (empty: the page
# says that the portal itself makes no backups beyond the storage locations' copies).
BACKUP_DESCRIPTION = env_str("BACKUP_DESCRIPTION", "")
FIXITY_MAX_MB_PER_S = env_float("FIXITY_MAX_MB_PER_S", None)
# The fixity sweep runs this often (beat); each run checks the share of files that meets the cycle.
FIXITY_SWEEP_INTERVAL_SECONDS = env_int("FIXITY_SWEEP_INTERVAL_SECONDS", 3600, minimum=1)
# A sweep's claim on a file older than this (its worker died) is taken over by the next sweep.
FIXITY_CLAIM_TIMEOUT_SECONDS = env_int("FIXITY_CLAIM_TIMEOUT_SECONDS", 6 * 3600, minimum=60)
# The staff fixity report (/staff/fixity/) shows checks per day over this many days.
FIXITY_REPORT_DAYS = env_int("FIXITY_REPORT_DAYS", 30, minimum=1)
# After each upload a task re-reads the stored bytes and compares MD5 and SHA-256 with the upload's.
FIXITY_CHECK_AFTER_UPLOAD = env_bool("FIXITY_CHECK_AFTER_UPLOAD", True)
# Replicas: a copy that fails (location unreachable) is retried after 30 s, 60 s, 120 s, … (at most the
# maximum), REPLICATION_MAX_RETRIES times; then the beat job copies replicas still pending after
# REPLICATION_PENDING_MINUTES, REPLICATION_SWEEP_BATCH files a run, every REPLICATION_SWEEP_INTERVAL_SECONDS.
REPLICATION_MAX_RETRIES = env_int("REPLICATION_MAX_RETRIES", 8, minimum=0)
REPLICATION_RETRY_BACKOFF_SECONDS = env_int("REPLICATION_RETRY_BACKOFF_SECONDS", 30, minimum=1)
REPLICATION_RETRY_BACKOFF_MAX_SECONDS = env_int("REPLICATION_RETRY_BACKOFF_MAX_SECONDS", 3600, minimum=1)
REPLICATION_PENDING_MINUTES = env_int("REPLICATION_PENDING_MINUTES", 60, minimum=1)
REPLICATION_SWEEP_INTERVAL_SECONDS = env_int("REPLICATION_SWEEP_INTERVAL_SECONDS", 600, minimum=1)
REPLICATION_SWEEP_BATCH = env_int("REPLICATION_SWEEP_BATCH", 1000, minimum=1)
# Archive (BagIt bags of published records; metadata backups)
ARCHIVE_LOCATION = env_str("ARCHIVE_LOCATION", "")  # a name in STORAGE_LOCATIONS; empty: the primary
ARCHIVE_SWEEP_INTERVAL_SECONDS = env_int("ARCHIVE_SWEEP_INTERVAL_SECONDS", 300, minimum=1)
ARCHIVE_SWEEP_BATCH = env_int("ARCHIVE_SWEEP_BATCH", 500, minimum=1)  # records bagged per sweep at most
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(VAR_DIR / "backups")))
BACKUP_KEEP = env_int("BACKUP_KEEP", 14, minimum=1)
# the nightly second-site check's e-mail lists at most this many files (and counts the rest)
SECOND_COPY_ALERT_MAX_FILES = env_int("SECOND_COPY_ALERT_MAX_FILES", 1000, minimum=1)
CURATION_EXPIRY_DAYS = env_int("CURATION_EXPIRY_DAYS", 60, minimum=1)
WITHDRAWAL_CONSENT_DAYS = env_int("WITHDRAWAL_CONSENT_DAYS", 14, minimum=1)
# the most staff may grant a record on request (/staff/quota/)
QUOTA_REQUEST_MAX_BYTES = env_int("QUOTA_REQUEST_MAX_BYTES", 10**13, minimum=0)
# reports of a record (the landing page's "Report" form) per client IP address and hour
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo-password")

# --- E-mail -------------------------------------------------------------------------------
_email_url = env_str("EMAIL_URL")
if _email_url:
    globals().update(parse_email_url(_email_url))
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"repository@{_site.hostname}")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
STAFF_EMAILS = env_list("STAFF_EMAILS", [])
ADMIN_EMAIL = STAFF_EMAILS[0] if STAFF_EMAILS else env_str("ADMIN_EMAIL", f"admin@{_site.hostname}")

# --- Auth ---------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Rate limits (README, 'Security') ---------------------------------------------------------
# Counters live in the "ratelimit" cache (Redis in production). A rate is COUNT/PERIOD (s, m, h, d).
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)  # also django-ratelimit's own switch
RATELIMIT_USE_CACHE = "ratelimit"
# X-Forwarded-For is believed only for this many proxies in front of the application (0: REMOTE_ADDR)
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
RATELIMIT_LOGIN_FAILURES = env_int("RATELIMIT_LOGIN_FAILURES", 10, minimum=1)  # per account and address
RATELIMIT_LOGIN_LOCKOUT_SECONDS = env_int("RATELIMIT_LOGIN_LOCKOUT_SECONDS", 15 * 60, minimum=1)
RATELIMIT_LOGIN_LOCKOUT_MAX_SECONDS = env_int("RATELIMIT_LOGIN_LOCKOUT_MAX_SECONDS", 24 * 3600, minimum=1)
RATELIMIT_MAILS = env_rate("RATELIMIT_MAILS", "5/h")  # reset and verification mails, per address and kind
RATELIMIT_SIGNUP = env_rate("RATELIMIT_SIGNUP", "20/h")  # sign-ups per client address
RATELIMIT_REPORTS = env_rate("RATELIMIT_REPORTS", "5/h")  # reports of records per client address
RATELIMIT_COMMENTS = env_rate("RATELIMIT_COMMENTS", "60/h")  # comments (and reports) per account
RATELIMIT_SEARCH = env_rate("RATELIMIT_SEARCH", "300/m")  # anonymous /search/ pages per client address
RATELIMIT_OAI = env_rate("RATELIMIT_OAI", "6000/m")  # /oai2d per client address (a harvester: ~10/s)
RATELIMIT_API_ANON = env_rate("RATELIMIT_API_ANON", "1200/m")  # anonymous /api/ calls per address
RATELIMIT_API_USER = env_rate("RATELIMIT_API_USER", "6000/m")  # /api/ calls per token (or session)
RATELIMIT_REVIEW = env_rate("RATELIMIT_REVIEW", "600/m")  # /review/<token>/ requests per client address
EMAIL_VERIFICATION_DAYS = env_int("EMAIL_VERIFICATION_DAYS", 7, minimum=1)  # a verification link's life
TOKEN_DEFAULT_EXPIRY_DAYS = env_int("TOKEN_DEFAULT_EXPIRY_DAYS", 365, minimum=1)
# django-axes: login lockout per (username, address) pair on the shared cache, 429 with Retry-After
AXES_ENABLED = RATELIMIT_ENABLE
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_CACHE = "ratelimit"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = RATELIMIT_LOGIN_FAILURES
AXES_COOLOFF_TIME = "accounts.ratelimit.login_cool_off"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.ratelimit.login_lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.ratelimit.axes_client_ip"
AXES_USERNAME_CALLABLE = "accounts.ratelimit.axes_username"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False  # the cache handler keeps no rows: the admin's attempt lists would stay empty

# --- REST API -----------------------------------------------------------------------------
API_PAGE_SIZE = 25
# The largest ?size= the Zenodo-compatible API answers with (records and depositions lists).
ZENODO_MAX_PAGE_SIZE = env_int("ZENODO_MAX_PAGE_SIZE", 100, minimum=1)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PARSER_CLASSES": [
        "repository.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    "EXCEPTION_HANDLER": "repository.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttles.AnonymousThrottle", "accounts.throttles.TokenThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Community Research Repository API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # every /api/v1/ operation documents the one error shape and the statuses it can answer
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "repository.schema.add_error_responses",
    ],
}

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _site.scheme == "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "repository.logging.JsonLinesFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json" if PRODUCTION else "plain"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
