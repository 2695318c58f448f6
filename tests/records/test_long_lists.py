"""Pages stay fast at the caps (issue #10): a record with 5,000 creators has a landing page of bounded
size and a fixed number of SQL queries; the rest of the list is one click away; the exports keep all."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records import services
from records.validation import load_schema
from tests.records.conftest import make_metadata

pytestmark = pytest.mark.django_db

CAP = load_schema()["properties"]["creators"]["maxItems"]


def creators(count: int) -> list[dict]:
    return [
        {
            "name": f"Forskare{i:05d}, Anna",
            "orcid": "0000-0002-1825-0097",
            "affiliations": [{"name": f"Institute {i % 97} of Physics", "ror": "https://ror.org/05f0yaq80"}],
        }
        for i in range(count)
    ]


def publish(depositor, count: int, **extra):
    metadata = make_metadata(creators=creators(count), **extra)
    return services.publish(services.create_draft(depositor, metadata), depositor, declaration_accepted=True)


def landing(client, record):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/records/{record.pk}/")
    assert response.status_code == 200
    return response, len(queries)


def test_a_record_at_the_creator_cap_has_a_small_landing_page_with_a_fixed_number_of_queries(
    client, depositor
):
    small = publish(depositor, 2)
    large = publish(
        depositor,
        CAP,
        contributors=[{"name": f"Helper {i}", "role": "DataCollector"} for i in range(1000)],
        references=[f"Reference number {i}." for i in range(5000)],
    )
    _small_page, small_queries = landing(client, small)
    large_page, large_queries = landing(client, large)
    assert large_queries == small_queries <= 30
    assert len(large_page.content) <= 200 * 1024, len(large_page.content)
    body = large_page.content.decode()
    assert f"and {CAP - 25:,} more creators" in body
    assert f'href="/records/{large.pk}/creators/"' in body
    assert "and 975 more contributors" in body and "and 4,975 more references in the full exports" in body
    assert body.count('name="citation_author"') == 25
    assert "and others" in body  # the inline BibTeX


def test_the_full_list_of_creators_is_paged(client, depositor):
    record = publish(depositor, 1201)
    first = client.get(f"/records/{record.pk}/creators/")
    assert first.status_code == 200
    body = first.content.decode()
    assert "1201 creators" in body and "Forskare00000" in body and "Forskare00499" in body
    assert "Forskare00500" not in body
    last = client.get(f"/records/{record.pk}/creators/?page=3").content.decode()
    assert "Forskare01200" in last and 'start="1001"' in last
    assert client.get(f"/records/{record.pk}/creators/?page=x").status_code == 200


def test_a_draft_s_creators_are_private(client, client_for, depositor, outsider):
    draft = services.create_draft(depositor, make_metadata(creators=creators(30)))
    assert client_for(outsider).get(f"/records/{draft.pk}/creators/").status_code == 404
    assert client_for(depositor).get(f"/records/{draft.pk}/creators/").status_code == 200


def test_the_full_exports_keep_every_creator(client, depositor):
    record = publish(depositor, 300)
    data = json.loads(client.get(f"/records/{record.pk}/export/json").content)
    assert len(data["metadata"]["creators"]) == 300
    jsonld = json.loads(client.get(f"/records/{record.pk}/export/jsonld").content)
    assert len(jsonld["creator"]) == 300
    datacite = client.get(f"/records/{record.pk}/export/datacite").content.decode()
    assert datacite.count("<creator>") == 300
    bibtex = client.get(f"/records/{record.pk}/export/bibtex").content.decode()
    assert "and others" not in bibtex and bibtex.count(" and ") == 299


def test_api_lists_cut_long_lists_and_say_so_while_the_record_has_them_all(client, depositor):
    record = publish(depositor, 300)
    item = client.get("/api/v1/records").json()["results"][0]
    assert item["id"] == record.pk
    assert len(item["metadata"]["creators"]) == 25 and item["truncated"] == {"creators": 300}
    full = client.get(f"/api/v1/records/{record.pk}").json()
    assert len(full["metadata"]["creators"]) == 300 and "truncated" not in full


def test_the_inline_citations_match_the_full_exports(client, depositor):
    from records.exports import citation

    record = publish(depositor, 300)
    body = client.get(f"/records/{record.pk}/").content.decode()
    apa = str(citation.apa_html(record))
    assert apa in body  # the same first 19, ellipsis and last author as the full formatter
    assert "Forskare00299" in apa and "Forskare00025" not in apa
    bibtex = body.split('id="citation-bibtex">', 1)[1].split("</pre>", 1)[0]
    assert "Forskare00024" in bibtex and "Forskare00025" not in bibtex and "and others" in bibtex


def test_the_deposit_form_of_a_record_at_the_cap_is_small_and_saving_it_keeps_every_creator(
    client_for, depositor
):
    from tests.records.test_deposit_views import FORM

    draft = services.create_draft(depositor, make_metadata(creators=creators(CAP)))
    c = client_for(depositor)
    page = c.get(f"/records/{draft.pk}/edit/")
    assert page.status_code == 200 and len(page.content) < 400 * 1024
    body = page.content.decode()
    assert (
        'id="creators-frozen"' in body and f"{CAP:,}" in body and 'name="creators-0-family_name"' not in body
    )
    data = {k: v for k, v in FORM.items() if not k.startswith("creators-")}
    data["title"] = "A new title for a large collaboration"
    response = c.post(f"/records/{draft.pk}/edit/", data)
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    assert draft.metadata["title"] == "A new title for a large collaboration"
    assert len(draft.metadata["creators"]) == CAP
