"""``/sitemap.xml``: a sitemap index, and sitemaps of at most ``SITEMAP_MAX_URLS`` landing pages each.

Pages are found by key, never by OFFSET: one scan of the partial index on published records'
``(id, datestamp)`` numbers them and keeps the first id and the latest datestamp of each run of
``SITEMAP_MAX_URLS``; the sitemap of a run, ``/sitemaps/records-<first id>.xml``, then reads
``id >= first`` in id order up to the limit. Both are streamed, so a million records cost neither
memory nor a slow first byte. ``lastmod`` is the record's OAI-PMH datestamp.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from xml.sax.saxutils import escape

from django.conf import settings
from django.db import connection
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_safe

from records.models import Record, RecordState

NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000  # sitemaps.org: at most 50,000 URLs per sitemap and 50,000 sitemaps per index
CHUNK = 2_000


def w3c_datetime(value: dt.datetime) -> str:
    """W3C Datetime in UTC, to the second: ``2026-12-01T21:42:07Z``."""
    if value.utcoffset():
        value = value.astimezone(dt.UTC)
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z"


def pages(per_page: int) -> Iterator[tuple[int, dt.datetime | None]]:
    """(first id, latest datestamp) of each run of ``per_page`` published records, in id order."""
    table = Record._meta.db_table
    sql = f"""
        SELECT min(id), max(datestamp) FROM (
            SELECT id, datestamp, (row_number() OVER (ORDER BY id) - 1) / %s AS page
            FROM {table} WHERE state = %s
        ) numbered GROUP BY page ORDER BY page
    """  # noqa: S608 (the table name is the model's, the values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [per_page, RecordState.PUBLISHED])
        while rows := cursor.fetchmany(CHUNK):
            yield from ((first_id, _as_datetime(lastmod)) for first_id, lastmod in rows)


def _as_datetime(value) -> dt.datetime | None:
    """A raw cursor's datetime (SQLite gives text, naive UTC)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return value


def page_records(first_id: int, per_page: int) -> Iterator[tuple[int, dt.datetime | None]]:
    """(id, datestamp) of up to ``per_page`` published records from ``first_id`` on, in id order."""
    published = Record.objects.published().filter(pk__gte=first_id).order_by("pk")
    return published.values_list("pk", "datestamp")[:per_page].iterator(chunk_size=CHUNK)


def _url(loc: str, lastmod: dt.datetime | None, tag: str) -> str:
    modified = f"<lastmod>{w3c_datetime(lastmod)}</lastmod>" if lastmod else ""
    return f"<{tag}><loc>{escape(loc)}</loc>{modified}</{tag}>\n"


def _index_lines() -> Iterator[str]:
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{NAMESPACE}">\n'
    for first_id, lastmod in pages(settings.SITEMAP_MAX_URLS):
        loc = settings.SITE_URL + reverse("records:sitemap", args=[first_id])
        yield _url(loc, lastmod, "sitemap")
    yield "</sitemapindex>\n"


def _urlset_lines(first_id: int) -> Iterator[str]:
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{NAMESPACE}">\n'
    # the landing page URL reversed once: ids are digits, so the rest needs no escaping
    marker = 987654321
    prefix, suffix = escape(settings.SITE_URL + reverse("records:detail", args=[marker])).split(str(marker))
    lines = []
    for pk, datestamp in page_records(first_id, settings.SITEMAP_MAX_URLS):
        modified = f"<lastmod>{w3c_datetime(datestamp)}</lastmod>" if datestamp else ""
        lines.append(f"<url><loc>{prefix}{pk}{suffix}</loc>{modified}</url>\n")
        if len(lines) == CHUNK:
            yield "".join(lines)
            lines = []
    yield "".join(lines) + "</urlset>\n"


def _xml(lines: Iterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse((line.encode("utf-8") for line in lines), content_type="application/xml")
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def sitemap_index(request):
    return _xml(_index_lines())


@require_safe
def sitemap(request, first_id: int):
    return _xml(_urlset_lines(first_id))
