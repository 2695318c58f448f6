"""gunicorn's access log without secrets: ``--logger-class repository.gunicorn_logging.RedactingLogger``."""

from __future__ import annotations

from gunicorn.glogging import Logger

from accounts.redact import redact_token


class RedactingLogger(Logger):
    """The request line, query string and referrer with ``access_token`` values redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms: dict = dict(super().atoms(resp, req, environ, request_time))
        for key in ("r", "q", "f", "{raw_uri}e", "{query_string}e", "{http_referer}e", "{referer}i"):
            value = atoms.get(key)
            if isinstance(value, str):
                atoms[key] = redact_token(value)
        return atoms
