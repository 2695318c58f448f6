"""gunicorn's configuration, the same for the Dockerfile, docker-compose.yml, `make run`, the slow-client
test and the benchmarks: ``gunicorn -c deploy/gunicorn.conf.py``.

Threaded workers (gthread): a request that takes long (a 50 GB streaming upload, a big ZIP) holds one
thread, not a whole worker, and the worker's heartbeat keeps running, so the timeout can be short. Slow
clients are nginx's job in production (deploy/nginx.conf buffers requests and responses); under `make run`
nothing stands in front. Every value can be overridden from the environment (README, "Configuration").
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"configuration error: {name} must be an integer, got {raw!r}") from None
    if value < 1:
        raise SystemExit(f"configuration error: {name} must be at least 1, got {value}")
    return value


wsgi_app = "repository.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND", "").strip() or "0.0.0.0:8000"]  # inside the container
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", 3)
threads = _int("GUNICORN_THREADS", 8)
# Seconds a worker may go silent before the master replaces it. With gthread the heartbeat runs beside
# the request threads, so long uploads and downloads are not cut by it.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Request line and headers stay within gunicorn's defaults (nginx refuses larger ones first).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# Query strings, referrers and request lines with ``access_token`` values redacted.
logger_class = "repository.gunicorn_logging.RedactingLogger"
# The path without the query string: an ``?access_token=`` never reaches the logs.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# X-Forwarded-Proto is trusted from FORWARDED_ALLOW_IPS (gunicorn's own variable; default 127.0.0.1,::1).
