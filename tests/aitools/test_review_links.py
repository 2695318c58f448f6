"""Anonymous reviewer links: nothing a reviewer can reach names the people; expiry, revocation, limits."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

import pytest
from django.test import Client
from django.utils import timezone
from lxml import html

from aitools.models import ReviewLink
from audit.models import AuditEntry
from tests.records.conftest import make_metadata

CSV = b"id,label\n1,cat\n2,dog\n"

# Everything that would tell a reviewer who made the record (case-insensitive, except "MIT").
SECRETS = [
    "Lindqvist",
    "Åsa",
    "Smith",
    "John",
    "Stockholm University",
    "05f0yaq80",
    "0000-0002-1825-0097",
    "secret.contact",
    "example.se",
    "Erik Depositor",
    "depositor",
    "example.org",
    "Karin Bidragsgivare",
    "0000-0001-5109-3700",
    "Vetenskapsrådet",
    "Knut och Alice",
]


def draft_with_files(user):
    from records.services import create_draft
    from storage.services import store_bytes

    metadata = make_metadata(
        contributors=[
            {
                "name": "Bidragsgivare, Karin",
                "family_name": "Bidragsgivare",
                "given_name": "Karin",
                "orcid": "0000-0001-5109-3700",
                "role": "DataCurator",
                "affiliations": [{"name": "Knut och Alice Wallenbergs stiftelse"}],
            }
        ],
        funding=[{"funder": {"name": "Vetenskapsrådet"}, "award_number": "2024-01234"}],
        notes="Contact Karin Bidragsgivare.",
        card={"kind": "dataset", "motivation": "Benchmarking sentiment models."},
    )
    draft = create_draft(user, metadata)
    store_bytes(draft.bucket, "data/train.csv", CSV, user)
    store_bytes(draft.bucket, "README.txt", b"Anonymous readme.\n", user)
    return draft


@pytest.fixture
def owner_client(client_for, depositor):
    return client_for(depositor)


def make_link(owner_client, record, days=30, label="NeurIPS D&B"):
    until = (timezone.localdate() + dt.timedelta(days=days)).isoformat()
    response = owner_client.post(f"/records/{record.pk}/review-links/", {"expires_on": until, "label": label})
    assert response.status_code == 200, response.content.decode()[:500]
    page = html.fromstring(response.content)
    url = page.xpath("string(//div[@id='new-review-link']//input/@value)")
    assert "/review/" in url
    return "/review/" + url.split("/review/", 1)[1]


def assert_anonymous(text: str, where: str):
    for secret in SECRETS:
        assert secret.lower() not in text.lower(), f"{secret!r} in {where}"
    assert not re.search(r"\bMIT\b", text), f"MIT in {where}"


def collect(reviewer: Client, start: str) -> dict[str, str]:
    """Every response reachable from the reviewer page (bodies, headers, ZIP listing), by URL."""
    seen: dict[str, str] = {}
    queue = [start]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        response = reviewer.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        headers = "\n".join(f"{k}: {v}" for k, v in response.items())
        text = headers + "\n" + body.decode("utf-8", errors="replace")
        if response["Content-Type"].startswith("application/zip"):
            names = zipfile.ZipFile(io.BytesIO(body)).namelist()
            text += "\n" + "\n".join(names)
        head = reviewer.head(url)
        text += "\n" + "\n".join(f"{k}: {v}" for k, v in head.items())
        seen[url] = text
        assert response["X-Robots-Tag"].startswith("noindex"), url
        if response["Content-Type"].startswith("text/html"):
            page = html.fromstring(body)
            for href in page.xpath("//a/@href | //link/@href | //script/@src | //form/@action"):
                assert not href.startswith("/records/"), f"{url} links to {href}"
                if href.startswith("/review/"):
                    queue.append(href)
        if response["Content-Type"].startswith("application/ld+json"):
            for node in json.loads(body).get("distribution", []):
                if "contentUrl" in node:
                    queue.append("/review/" + node["contentUrl"].split("/review/", 1)[1])
    return seen


def test_nothing_a_reviewer_reaches_names_the_people(owner_client, depositor):
    record = draft_with_files(depositor)
    url = make_link(owner_client, record)
    reviewer = Client()
    seen = collect(reviewer, url)
    token = url.split("/")[2]
    assert set(seen) >= {
        url,
        f"/review/{token}/croissant",
        f"/review/{token}/files.zip",
        f"/review/{token}/files/data/train.csv",
        f"/review/{token}/files/README.txt",
    }
    for where, text in seen.items():
        assert_anonymous(text, where)
    page = seen[url]
    assert make_metadata()["title"] in page and "Benchmarking sentiment models." in page
    assert '<meta name="robots" content="noindex' in page
    assert "cat" in seen[f"/review/{token}/files/data/train.csv"]
    assert "data/train.csv" in seen[f"/review/{token}/files.zip"]
    # the reviewer cannot reach the record itself
    assert reviewer.get(f"/records/{record.pk}/").status_code == 404
    assert reviewer.get(f"/records/{record.pk}/export/json").status_code == 404
    assert reviewer.get(f"/records/{record.pk}/files/data/train.csv").status_code == 404


def test_anonymous_croissant_is_valid(owner_client, depositor, tmp_path):
    import mlcroissant as mlc

    record = draft_with_files(depositor)
    url = make_link(owner_client, record)
    body = Client().get(url + "croissant").content
    doc = json.loads(body)
    assert "creator" not in doc and "citeAs" not in doc
    assert doc["url"].endswith(url)
    assert [n["name"] for n in doc["distribution"]] == ["README.txt", "data/train.csv"]
    path = tmp_path / "croissant.json"
    path.write_bytes(body)
    dataset = mlc.Dataset(jsonld=str(path))
    assert not dataset.metadata.ctx.issues.errors


def test_owner_sees_visits_and_the_token_is_stored_hashed(owner_client, depositor):
    record = draft_with_files(depositor)
    url = make_link(owner_client, record)
    token = url.split("/")[2]
    reviewer = Client()
    for _ in range(3):
        assert reviewer.get(url).status_code == 200
    link = ReviewLink.objects.get()
    assert link.visits == 3 and link.label == "NeurIPS D&B"
    assert token not in link.token_hash and len(link.token_hash) == 64
    page = html.fromstring(owner_client.get(f"/records/{record.pk}/review-links/").content)
    assert page.xpath(f"string(//tr[@id='review-link-{link.pk}']/td[@class='visits'])") == "3"
    assert token not in owner_client.get(f"/records/{record.pk}/review-links/").content.decode()
    assert page.xpath("//*[@id='anonymise-files-notice']")
    assert AuditEntry.objects.filter(verb="create_review_link").count() == 1


def test_expired_revoked_or_published_links_are_404(owner_client, depositor):
    from records.services import publish

    record = draft_with_files(depositor)
    url = make_link(owner_client, record)
    reviewer = Client()
    assert reviewer.get(url).status_code == 200
    link = ReviewLink.objects.get()
    ReviewLink.objects.filter(pk=link.pk).update(expires_on=timezone.localdate() - dt.timedelta(days=1))
    assert reviewer.get(url).status_code == 404
    assert reviewer.get(url + "croissant").status_code == 404
    ReviewLink.objects.filter(pk=link.pk).update(expires_on=timezone.localdate())  # the last day still works
    assert reviewer.get(url).status_code == 200
    response = owner_client.post(f"/records/{record.pk}/review-links/{link.pk}/revoke")
    assert response.status_code == 302
    for path in ("", "croissant", "files.zip", "files/data/train.csv"):
        assert reviewer.get(url + path).status_code == 404, path
    second = make_link(owner_client, record)
    assert reviewer.get(second).status_code == 200
    publish(record, depositor, declaration_accepted=True)
    assert reviewer.get(second).status_code == 404
    assert reviewer.get("/review/not-a-token/").status_code == 404


def test_only_owners_make_links_and_only_for_never_published_drafts(
    client_for, owner_client, depositor, outsider
):
    from records.services import create_draft, publish

    published = publish(create_draft(depositor, make_metadata()), depositor, declaration_accepted=True)
    record = draft_with_files(depositor)
    until = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    outsider_client = client_for(outsider)
    assert outsider_client.get(f"/records/{record.pk}/review-links/").status_code == 404
    assert (
        outsider_client.post(f"/records/{record.pk}/review-links/", {"expires_on": until}).status_code == 404
    )
    response = owner_client.post(f"/records/{published.pk}/review-links/", {"expires_on": until})
    assert response.status_code == 400
    assert "never been published" in response.content.decode()
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = owner_client.post(f"/records/{record.pk}/review-links/", {"expires_on": past})
    assert response.status_code == 400 and "in the past" in response.content.decode()
    response = owner_client.post(f"/records/{record.pk}/review-links/", {"expires_on": "2999-01-01"})
    assert response.status_code == 400 and "at most" in response.content.decode()
    assert ReviewLink.objects.count() == 0
    page = owner_client.get(f"/records/{record.pk}/").content.decode()
    assert f'href="/records/{record.pk}/review-links/"' in page


def test_reviewer_requests_are_rate_limited(owner_client, depositor, settings):
    settings.RATELIMIT_REVIEW = "3/m"
    record = draft_with_files(depositor)
    url = make_link(owner_client, record)
    reviewer = Client()
    assert [reviewer.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert reviewer.get("/review/guess/").status_code == 429  # guesses count too
