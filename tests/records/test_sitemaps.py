"""/sitemap.xml and robots.txt: an index and sitemaps paged by key, valid by the sitemaps.org rules."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import etree

from tests.records.exports_fixture import make_record

SITE = "http://127.0.0.1:8000"
NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
W3C_DATETIME = re.compile(r"\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def check_sitemap(content: bytes, root_tag: str, child_tag: str, limit: int) -> list[tuple[str, str]]:
    """The sitemaps.org rules (https://www.sitemaps.org/protocol.html): UTF-8, the namespace, at most
    50,000 entries and 50 MB, absolute ``loc`` under the site of fewer than 2,048 characters, W3C
    Datetime ``lastmod``; returns (loc, lastmod) of each entry."""
    assert content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert len(content) <= 50 * 1024 * 1024
    root = etree.fromstring(content)
    assert root.tag == f"{{{NS}}}{root_tag}"
    entries = []
    for child in root:
        assert child.tag == f"{{{NS}}}{child_tag}"
        tags = [c.tag for c in child]
        assert tags[0] == f"{{{NS}}}loc" and set(tags) <= {f"{{{NS}}}loc", f"{{{NS}}}lastmod"}
        loc = child.findtext(f"{{{NS}}}loc")
        lastmod = child.findtext(f"{{{NS}}}lastmod") or ""
        assert loc.startswith(SITE + "/") and len(loc) < 2048
        assert W3C_DATETIME.fullmatch(lastmod), lastmod
        entries.append((loc, lastmod))
    assert len(entries) <= min(limit, 50_000)
    return entries


@pytest.fixture
def records(depositor):
    now = timezone.now()
    made = []
    for number in range(35):
        record = make_record(depositor)
        record.datestamp = now - dt.timedelta(days=100 - number, seconds=number)
        record.save(update_fields=["datestamp"])
        made.append(record)
    make_record(depositor, state="draft")
    make_record(depositor, state="withdrawn")
    return made


@pytest.mark.django_db
def test_35_records_make_an_index_and_four_sitemaps_paged_by_key(client, records, settings):
    settings.SITEMAP_MAX_URLS = 10
    with CaptureQueriesContext(connection) as queries:
        index = client.get("/sitemap.xml")
        assert index.status_code == 200 and index["Content-Type"] == "application/xml"
        sitemaps = check_sitemap(body(index), "sitemapindex", "sitemap", 50_000)
    assert len(sitemaps) == 4
    ids = sorted(r.pk for r in records)
    pages = [ids[i : i + 10] for i in range(0, 35, 10)]
    assert [loc for loc, _ in sitemaps] == [f"{SITE}/sitemaps/records-{page[0]}.xml" for page in pages]

    seen = []
    for (loc, lastmod), page in zip(sitemaps, pages, strict=True):
        with CaptureQueriesContext(connection) as page_queries:
            response = client.get(urlsplit(loc).path)
            assert response.status_code == 200
            urls = check_sitemap(body(response), "urlset", "url", 10)
        queries.captured_queries.extend(page_queries.captured_queries)
        assert [u for u, _ in urls] == [f"{SITE}/records/{pk}/" for pk in page]
        by_id = {r.pk: r for r in records}
        assert [m for _, m in urls] == [
            by_id[pk].datestamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for pk in page
        ]
        assert lastmod == max(m for _, m in urls)  # the index's lastmod: the page's latest change
        seen += [u for u, _ in urls]
    # every published record exactly once; no draft, no tombstone
    assert seen == [f"{SITE}/records/{pk}/" for pk in ids]
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
    # every listed landing page answers 200
    for url in seen[:3]:
        assert client.get(urlsplit(url).path).status_code == 200


@pytest.mark.django_db
def test_empty_site_has_an_empty_index(client):
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    assert check_sitemap(body(index), "sitemapindex", "sitemap", 50_000) == []


@pytest.mark.django_db
def test_default_limit_puts_every_record_in_one_sitemap(client, records):
    sitemaps = check_sitemap(body(client.get("/sitemap.xml")), "sitemapindex", "sitemap", 50_000)
    assert len(sitemaps) == 1
    urls = check_sitemap(body(client.get(urlsplit(sitemaps[0][0]).path)), "urlset", "url", 50_000)
    assert len(urls) == 35


def test_robots_txt_names_the_sitemap_and_keeps_crawlers_off_search(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /search/" in lines
    assert f"Sitemap: {SITE}/sitemap.xml" in lines
    assert not any(line == "Disallow: /records/" or line == "Disallow: /" for line in lines)


def test_a_sitemap_limit_above_50000_is_refused_in_one_line():
    from tests.repository.test_settings import run_manage

    result = run_manage("check", SITEMAP_MAX_URLS="50001")
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line]
    assert len(lines) == 1, result.stderr
    assert "SITEMAP_MAX_URLS=50001" in lines[0] and "50000" in lines[0]
