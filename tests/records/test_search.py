"""Browse and search on PostgreSQL (ranking, filters with counts, deep pages) and the SQLite fallback."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from lxml import html

from records import services
from records.search import SearchParams, search
from repository.demo import bulk_publish, demo_metadata
from tests.records.conftest import make_metadata

ROOT = Path(__file__).resolve().parents[2]


def publish(user, **changes):
    record = services.create_draft(user, make_metadata(**changes))
    return services.publish(record, user)


def ids(result):
    return [r.pk for r in result.page.object_list]


def query(**params):
    filters = {
        k: (v if isinstance(v, list) else [v]) for k, v in params.items() if k not in ("q", "sort", "page")
    }
    return search(
        SearchParams(
            q=params.get("q", ""), sort=params.get("sort", ""), filters=filters, page=params.get("page", 1)
        )
    )


def test_runs_on_postgresql_with_a_gin_index(db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'records_record_search_vector_gin'")
        assert "gin (search_vector)" in cursor.fetchone()[0]


def test_title_match_ranks_first(depositor):
    in_title = publish(
        depositor, title="Quantum annealing for protein folding", description="<p>Methods.</p>"
    )
    in_text = publish(
        depositor,
        title="Protein folding benchmarks",
        description="<p>We compare classical solvers against quantum annealing hardware.</p>",
    )
    unrelated = publish(depositor, title="Bird song recordings from Gotland", description="<p>Audio.</p>")
    result = query(q="quantum annealing")
    assert ids(result) == [in_title.pk, in_text.pk]
    assert unrelated.pk not in ids(result)
    assert ids(query(q="quantum annealing", sort="newest")) == [in_text.pk, in_title.pk]


def test_creators_keywords_and_swedish_stemming_are_searchable(depositor):
    creator = publish(depositor, title="Some dataset", creators=[{"name": "Wahlström, Ingrid"}])
    keyword = publish(depositor, title="Another dataset", keywords=["hyperspectral imaging"])
    swedish = publish(
        depositor,
        title="Taligenkänning för dialekter",
        languages=["swe"],
        description="<p>Vi jämför modeller för svenska dialekter.</p>",
    )
    assert ids(query(q="Wahlström")) == [creator.pk]
    assert ids(query(q="hyperspectral")) == [keyword.pk]
    assert ids(query(q="dialekt")) == [swedish.pk]  # Swedish stemming: dialekter → dialekt


def test_drafts_and_withdrawn_records_are_not_found(depositor, staff):
    services.create_draft(depositor, make_metadata(title="Secret draft about zebras"))
    gone = publish(depositor, title="Withdrawn paper about zebras")
    services.withdraw(gone, staff, "Plagiarism")
    assert query(q="zebras").total == 0


@pytest.fixture
def varied(depositor, community):
    from records.models import CommunityRecord

    records = {
        "dataset_2021_open_eng_ccby": publish(depositor, publication_date="2021-04-01"),
        "software_2022_mit": publish(
            depositor, resource_type={"type": "software"}, license="MIT", publication_date="2022"
        ),
        "article_2021_swe_cc0": publish(
            depositor,
            resource_type={"type": "publication", "subtype": "article"},
            languages=["swe"],
            license="CC0-1.0",
            publication_date="2021-12",
        ),
        "closed_2020": publish(
            depositor, access_right="closed", publication_date="2020-01-01", license="MIT"
        ),
    }
    CommunityRecord.objects.create(community=community, record=records["software_2022_mit"])
    CommunityRecord.objects.create(
        community=community, record=records["closed_2020"], removed_at=timezone.now()
    )
    return records


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"type": "software"}, ["software_2022_mit"]),
        ({"type": "publication"}, ["article_2021_swe_cc0"]),
        ({"year": "2021"}, ["dataset_2021_open_eng_ccby", "article_2021_swe_cc0"]),
        ({"access": "closed"}, ["closed_2020"]),
        (
            {"language": "swe"},
            ["dataset_2021_open_eng_ccby", "software_2022_mit", "article_2021_swe_cc0", "closed_2020"],
        ),  # the fixture metadata has swe+eng; all but … see below
        ({"language": "swe", "license": "CC0-1.0"}, ["article_2021_swe_cc0"]),
        ({"license": "MIT"}, ["software_2022_mit", "closed_2020"]),
        ({"license": ["MIT", "CC0-1.0"], "year": "2020"}, ["closed_2020"]),
        ({"community": "stockholm-ai"}, ["software_2022_mit"]),
    ],
)
def test_each_filter_narrows(varied, filters, expected):
    result = query(**filters)
    assert sorted(ids(result)) == sorted(varied[name].pk for name in expected)
    assert result.total == len(expected)


def test_language_filter_separates_english_from_swedish(varied):
    assert sorted(ids(query(language="eng"))) == sorted(
        varied[n].pk for n in ("dataset_2021_open_eng_ccby", "software_2022_mit", "closed_2020")
    )


def test_facet_counts_follow_the_results(varied):
    result = query(year="2021")
    counts = {name: {v.value: v.count for v in values} for name, values in result.facets.items()}
    assert counts["type"] == {"dataset": 1, "publication": 1}
    assert counts["license"] == {"CC-BY-4.0": 1, "CC0-1.0": 1}
    assert counts["year"] == {"2021": 2}
    assert [v.selected for v in result.facets["year"]] == [True]
    everything = query()
    counts = {name: {v.value: v.count for v in values} for name, values in everything.facets.items()}
    assert counts["access"] == {"open": 3, "closed": 1}
    assert counts["community"] == {"stockholm-ai": 1}  # the removed membership does not count


def test_search_page_renders_filters_with_counts_and_links(client, varied):
    response = client.get(reverse("records:search"), {"type": "software"})
    assert response.status_code == 200
    page = html.fromstring(response.content)
    assert len(page.xpath("//article[@class='result']")) == 1
    link = page.xpath("//a[@data-facet='type'][@data-value='software']")[0]
    assert link.get("aria-current") == "true"
    assert "type=software" not in link.get("href")  # clicking again removes the filter
    other = page.xpath("//a[@data-facet='year'][@data-value='2022']")[0]
    assert "type=software" in other.get("href") and "year=2022" in other.get("href")


def test_page_50_of_a_large_result(client, depositor):
    start = timezone.now() - dt.timedelta(days=2000)
    metas = [demo_metadata(i) for i in range(1050)]
    for meta in metas:
        meta["title"] = "Large result " + meta["title"]
    stamps = [start + dt.timedelta(hours=i) for i in range(len(metas))]
    record_ids = bulk_publish(depositor, metas, published_at=stamps)
    newest_first = list(reversed(record_ids))
    result = query(q="large result", sort="newest", page=50)
    assert result.total == 1050 and result.page.number == 50
    assert ids(result) == newest_first[980:1000]
    result = query(page=53)
    assert ids(result) == newest_first[1040:]
    response = client.get(reverse("records:search"), {"q": "large result", "sort": "newest", "page": 50})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Page 50 of 53" in body
    assert f'href="/records/{newest_first[980]}/"' in body


def test_search_page_has_bounded_queries(client, varied, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        client.get(reverse("records:search"), {"q": "parliamentary"})


SQLITE_SCRIPT = r"""
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
from records import services
from records.search import SearchParams, search
from django.db import connection
assert connection.vendor == "sqlite"
base = json.loads(%r)
user = User.objects.create_user("sqlite-user", password="x")
def pub(**changes):
    return services.publish(services.create_draft(user, {**base, **changes}), user).pk
title = pub(title="Kvantglödgning för proteinveckning", description="<p>Metoder.</p>", languages=["swe"])
text = pub(title="Proteinveckning i jämförelse", description="<p>Vi jämför klassiska lösare med KVANTGLÖDGNING.</p>")
other = pub(title="Fågelsång från Gotland", resource_type={"type": "software"}, license="MIT")
found = [r.pk for r in search(SearchParams(q="kvantglödgning")).page.object_list]
software = [r.pk for r in search(SearchParams(filters={"type": ["software"]})).page.object_list]
facets = {v.value: v.count for v in search(SearchParams()).facets["type"]}
kth = pub(title="Förklarbar AI", creators=[{"name": "Öberg, Linnéa", "orcid": "0000-0002-1694-233X",
          "affiliations": [{"name": "KTH Royal Institute of Technology"}]}])
from records.models import Record
doi = Record.objects.get(pk=kth).doi
def find(q):
    return [r.pk for r in search(SearchParams(q=q)).page.object_list]
newcomer = {q: find(q) for q in ("forklarbar", "KTH", "0000-0002-1694-233X", doi, "https://doi.org/" + doi)}
print(json.dumps({"found": found, "expected": [title, text], "software": software, "other": other, "facets": facets,
                  "newcomer": newcomer, "kth": kth}))
"""


def test_sqlite_fallback_search_works(tmp_path, valid_metadata):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "repository.settings",
            "VAR_DIR": str(tmp_path),
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "CELERY_BROKER_URL": "memory://",
        }
    )
    script = SQLITE_SCRIPT % json.dumps(valid_metadata)
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["found"] == result["expected"]  # title match first, case-insensitive for å/ä/ö
    assert result["software"] == [result["other"]]
    assert result["facets"] == {"dataset": 2, "software": 1}
    # by DOI, ORCID iD, affiliation and a word typed without its diacritics
    assert all(found == [result["kth"]] for found in result["newcomer"].values()), result["newcomer"]


def test_finds_by_doi_orcid_affiliation_and_words_without_diacritics(depositor):
    target = publish(
        depositor,
        title="Förklarbar AI för offentlig förvaltning",
        languages=["swe"],
        creators=[
            {
                "name": "Öberg, Linnéa",
                "orcid": "0000-0002-1694-233X",
                "affiliations": [{"name": "KTH Royal Institute of Technology"}],
            }
        ],
        keywords=["förklarbarhet"],
    )
    other = publish(depositor, title="Bird song recordings from Gotland", creators=[{"name": "Smith, John"}])
    assert target.doi and other.doi
    assert ids(query(q=target.doi)) == [target.pk]
    assert ids(query(q=f"https://doi.org/{target.doi.upper()}")) == [target.pk]
    assert ids(query(q="0000-0002-1694-233X")) == [target.pk]
    assert ids(query(q="https://orcid.org/0000-0002-1694-233X")) == [target.pk]
    assert ids(query(q="KTH")) == [target.pk]
    assert ids(query(q="forklarbar")) == [target.pk]  # typed without the diacritics
    assert ids(query(q="Förklarbar")) == [target.pk]
    assert ids(query(q="forvaltning")) == [target.pk]
    assert ids(query(q="forklarbarhet")) == [target.pk]  # a keyword
    assert ids(query(q="forklar")) == [target.pk]  # a near miss: the prefix fallback
    assert ids(query(q="Gotland")) == [other.pk]
    assert ids(query(q="10.5072/nothing-here")) == []
