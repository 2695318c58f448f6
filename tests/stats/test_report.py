"""The COUNTER R5.1 Item Report per record and month (COUNTER_SUSHI JSON) against the raw events."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest

from stats import services
from stats.models import Event, EventKind

UTC = dt.UTC


@pytest.fixture
def record(depositor):
    from records.services import create_draft, publish
    from tests.oaipmh.conftest import metadata

    return publish(create_draft(depositor, metadata()), depositor, declaration_accepted=True)


def expected_from(events) -> dict[str, dict[str, int]]:
    """The four metrics by month, computed straight from the raw events by the rules."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    last: dict[tuple, dt.datetime] = {}
    unique: dict[str, set] = defaultdict(set)
    for at, kind, key, session in sorted(events, key=lambda e: (e[1], e[2], e[3], e[0])):
        click = (kind, key, session)
        if click in last and at - last[click] <= dt.timedelta(seconds=30):
            last[click] = at
            continue
        last[click] = at
        month, hour = f"{at:%Y-%m}", at.replace(minute=0, second=0, microsecond=0)
        out["Total_Item_Investigations"][month] += 1
        unique["Unique_Item_Investigations"].add((month, session, hour))
        if kind == EventKind.DOWNLOAD:
            out["Total_Item_Requests"][month] += 1
            unique["Unique_Item_Requests"].add((month, session, hour))
    for metric, pairs in unique.items():
        for month, _session, _hour in pairs:
            out[metric][month] += 1
    return {metric: dict(months) for metric, months in out.items()}


@pytest.mark.django_db
def test_monthly_report_matches_the_raw_events(record, client):
    rng = random.Random(17)  # noqa: S311 -- repeatable test data, not a secret
    events = []
    start = dt.datetime(2026, 1, 30, 22, 0, tzinfo=UTC)  # three months, a month's end inside
    for _ in range(150):
        at = start + dt.timedelta(seconds=rng.randrange(0, 40 * 24 * 3600, 7))
        kind = rng.choice([EventKind.VIEW, EventKind.VIEW, EventKind.DOWNLOAD])
        key = "a.csv" if kind == EventKind.DOWNLOAD else ""
        session = rng.choice(["s1", "s2", "s3"])
        events.append((at, kind, key, session))
        # a double click now and then
        if rng.random() < 0.2:
            events.append((at + dt.timedelta(seconds=rng.randrange(1, 31)), kind, key, session))
    # the worker runs through the days as beat would: each day summed while its events are there
    by_day = sorted({at.date() for at, *_ in events})
    for day in by_day:
        Event.objects.bulk_create(
            Event(at=at, kind=kind, record_id=record.pk, file_key=key, session=session)
            for at, kind, key, session in events
            if at.date() == day
        )
        services.aggregate(now=dt.datetime.combine(day, dt.time(23, 59), tzinfo=UTC))
        services.aggregate(now=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 5), tzinfo=UTC))

    response = client.get(
        f"/api/v1/records/{record.pk}/stats", {"begin_date": "2026-01", "end_date": "2026-03"}
    )
    assert response.status_code == 200
    report = response.json()
    header = report["Report_Header"]
    assert (header["Release"], header["Report_ID"], header["Report_Name"]) == ("5.1", "IR", "Item Report")
    assert header["Report_Filters"]["Begin_Date"] == "2026-01-01"
    assert header["Report_Filters"]["End_Date"] == "2026-03-31"
    assert header["Exceptions"] == []
    (item,) = report["Report_Items"]
    assert item["Item"] == record.metadata["title"]
    assert item["Item_ID"]["DOI"] == record.doi
    (attributes,) = item["Attribute_Performance"]
    assert attributes["Data_Type"] == "Dataset" and attributes["Access_Method"] == "Regular"
    assert attributes["Performance"] == expected_from(events)
    assert set(attributes["Performance"]["Total_Item_Investigations"]) == {"2026-01", "2026-02", "2026-03"}

    # one month alone
    february = client.get(
        f"/api/v1/records/{record.pk}/stats", {"begin_date": "2026-02", "end_date": "2026-02"}
    ).json()
    performance = february["Report_Items"][0]["Attribute_Performance"][0]["Performance"]
    assert performance == {
        m: {"2026-02": v["2026-02"]} for m, v in expected_from(events).items() if "2026-02" in v
    }


@pytest.mark.django_db
def test_a_month_without_use_is_an_exception_not_an_error(record, client):
    response = client.get(
        f"/api/v1/records/{record.pk}/stats", {"begin_date": "2020-01", "end_date": "2020-02"}
    )
    assert response.status_code == 200
    assert response.json()["Report_Items"] == []
    assert [e["Code"] for e in response.json()["Report_Header"]["Exceptions"]] == [3030]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params,field",
    [
        ({}, "$.begin_date"),
        ({"begin_date": "2026-01"}, "$.end_date"),
        ({"begin_date": "January", "end_date": "2026-02"}, "$.begin_date"),
        ({"begin_date": "2026-13", "end_date": "2026-02"}, "$.begin_date"),
        ({"begin_date": "2026-03", "end_date": "2026-02"}, "$.end_date"),
    ],
)
def test_bad_dates_are_a_400_naming_the_parameter(record, client, params, field):
    response = client.get(f"/api/v1/records/{record.pk}/stats", params)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.django_db
def test_a_draft_has_no_report(depositor, client):
    from records.services import create_draft
    from tests.oaipmh.conftest import metadata

    draft = create_draft(depositor, metadata())
    response = client.get(
        f"/api/v1/records/{draft.pk}/stats", {"begin_date": "2026-01", "end_date": "2026-01"}
    )
    assert response.status_code == 404
