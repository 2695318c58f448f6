"""Usage statistics by the COUNTER R5.1 rules (issue 17): robots, double clicks, sessions, ranges,
the daily sums, and the monthly Item Report against the raw events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from stats import services
from stats.models import DailySalt, DailyStat, Event, EventKind

DATA = b"0123456789" * 100
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture
def record(depositor):
    from records.services import create_draft, publish
    from storage.services import store_bytes
    from tests.oaipmh.conftest import metadata

    draft = create_draft(depositor, metadata())
    store_bytes(draft.bucket, "data/table.csv", DATA, depositor)
    return publish(draft, depositor, declaration_accepted=True)


def visitor(address: str = "192.0.2.10", agent: str = BROWSER) -> Client:
    return Client(REMOTE_ADDR=address, HTTP_USER_AGENT=agent)


def view(client, record) -> None:
    assert client.get(f"/records/{record.pk}/").status_code == 200


def download(client, record, **headers):
    response = client.get(f"/records/{record.pk}/files/data/table.csv", **headers)
    assert response.status_code in (200, 206)
    b"".join(response.streaming_content) if response.streaming else response.content
    return response


def day_stats(record) -> dict:
    services.aggregate()
    row = DailyStat.objects.get(record_id=record.pk)
    return {
        "views": row.views,
        "unique_views": row.unique_views,
        "downloads": row.downloads,
        "unique_downloads": row.unique_downloads,
        "unique_investigations": row.unique_investigations,
    }


@pytest.mark.django_db
def test_a_crawler_is_not_counted(record):
    view(visitor(agent=CRAWLER), record)
    download(visitor(agent=CRAWLER), record)
    assert Event.objects.count() == 0
    view(visitor(), record)
    assert Event.objects.count() == 1
    assert services.ROBOTS_LIST.startswith("COUNTER-Robots 20")


@pytest.mark.django_db
def test_two_requests_within_30_seconds_count_once(record):
    browser = visitor()
    view(browser, record)
    view(browser, record)  # a double click
    download(browser, record)
    download(browser, record)
    assert Event.objects.count() == 4  # the request writes; the rules are the worker's
    assert day_stats(record) == {
        "views": 1,
        "unique_views": 1,
        "downloads": 1,
        "unique_downloads": 1,
        "unique_investigations": 1,
    }


@pytest.mark.django_db
def test_clicks_more_than_30_seconds_apart_count_twice_in_one_session(record):
    view(visitor(), record)
    first = Event.objects.get()
    later = first.at.replace(minute=0, second=0) + dt.timedelta(seconds=31)
    Event.objects.filter(pk=first.pk).update(at=later - dt.timedelta(seconds=31))
    Event.objects.create(at=later, kind=EventKind.VIEW, record_id=record.pk, session=first.session)
    Event.objects.create(
        at=later + dt.timedelta(seconds=29), kind=EventKind.VIEW, record_id=record.pk, session=first.session
    )
    stats = day_stats(record)
    assert (stats["views"], stats["unique_views"]) == (2, 1)


@pytest.mark.django_db
def test_two_sessions_count_two_uniques(record, client_for, depositor, outsider):
    view(visitor("192.0.2.10"), record)
    view(visitor("198.51.100.7"), record)
    assert day_stats(record)["unique_views"] == 2
    # signed-in users are told apart by their session, even from one address and browser
    for user in (depositor, outsider):
        client = client_for(user)
        client.defaults.update(REMOTE_ADDR="203.0.113.1", HTTP_USER_AGENT=BROWSER)
        download(client, record)
    stats = day_stats(record)
    assert (stats["downloads"], stats["unique_downloads"], stats["unique_investigations"]) == (2, 2, 4)


@pytest.mark.django_db
def test_a_download_resumed_by_range_counts_once(record):
    browser = visitor()
    first = download(browser, record, HTTP_RANGE="bytes=0-99")
    assert first.status_code == 206
    resumed = download(browser, record, HTTP_RANGE="bytes=100-")
    assert resumed.status_code == 206
    assert Event.objects.count() == 1
    other = visitor("198.51.100.7")
    download(other, record, HTTP_RANGE="bytes=500-")  # the rest of a download begun elsewhere
    assert Event.objects.count() == 1
    download(other, record)
    assert day_stats(record)["downloads"] == 2


@pytest.mark.django_db
def test_no_address_is_stored_and_salts_go_after_a_day(record):
    view(visitor("192.0.2.10"), record)
    event = Event.objects.get()
    assert "192.0.2.10" not in str(vars(event)) and len(event.session) == 32
    today = event.at.date()
    assert DailySalt.objects.filter(day=today).exists()
    services.aggregate(now=event.at + dt.timedelta(days=1))
    assert not DailySalt.objects.filter(day=today).exists()
    assert Event.objects.count() == 1  # yesterday's events stay until the day after
    services.aggregate(now=event.at + dt.timedelta(days=2))
    assert Event.objects.count() == 0
    assert DailyStat.objects.get(record_id=record.pk).views == 1  # the sums stay


@pytest.mark.django_db
def test_counting_off_writes_nothing(record, settings):
    settings.STATS_COUNTING = False
    view(visitor(), record)
    download(visitor(), record)
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_landing_page_and_apis_carry_the_counts(record, client):
    view(visitor("192.0.2.10"), record)
    view(visitor("198.51.100.7"), record)
    download(visitor("198.51.100.7"), record)
    services.aggregate()
    page = client.get(f"/records/{record.pk}/").content.decode()
    assert '<dd id="usage-views">2</dd>' in page
    assert '<dd id="usage-unique-views">2</dd>' in page
    assert '<dd id="usage-downloads">1</dd>' in page
    assert '<dd id="usage-unique-downloads">1</dd>' in page
    expected = {"views": 2, "unique_views": 2, "downloads": 1, "unique_downloads": 1}
    native = client.get(f"/api/v1/records/{record.pk}").json()
    assert native["stats"] == expected
    assert native["links"]["stats"].endswith(f"/api/v1/records/{record.pk}/stats")
    listed = client.get("/api/v1/records").json()["results"]
    assert [r["stats"] for r in listed if r["id"] == record.pk] == [expected]
    zenodo = client.get(f"/api/records/{record.pk}").json()["stats"]
    assert zenodo["views"] == 2 and zenodo["unique_downloads"] == 1 and zenodo["version_views"] == 2
    hits = client.get("/api/records").json()["hits"]["hits"]
    assert [h["stats"]["downloads"] for h in hits if h["id"] == record.pk] == [1]
