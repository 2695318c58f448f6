"""FAIR Signposting (levels 1 and 2): Link headers on landing pages and downloads, and the linkset,
parsed with the ``signposting`` package; every target on this portal answers 200 with its type."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from signposting.linkheader import find_signposting_http_link
from signposting.linkset import Linkset, LinksetJSON, _parse_linkset, _parse_linkset_json
from signposting.signpost import AbsoluteURI

from records.exports.registry import export_formats
from tests.records.conftest import make_metadata

SITE = "http://127.0.0.1:8000"
DATA = "år,värde\n2024,1\n".encode()


def deposit(user, files: dict[str, bytes] | None = None, external_doi: str | None = None, **changes):
    from records.services import create_draft, publish
    from storage.services import store_bytes

    draft = create_draft(user, make_metadata(**changes), external_doi=external_doi)
    assert draft.bucket is not None
    for key, data in (files or {}).items():
        store_bytes(draft.bucket, key, data, user)
    return publish(draft, user, declaration_accepted=True)


def signposts(response, url: str):
    assert "Link" in response.headers, "no Link header"
    return find_signposting_http_link([response.headers["Link"]], url)


def local_path(url: str) -> str:
    assert url.startswith(SITE + "/"), url
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def media_type(response) -> str:
    return response.headers["Content-Type"].split(";")[0].strip()


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "head"])
def test_landing_page_links_every_signpost(client, depositor, method):
    record = deposit(depositor, {"data/mätning.csv": DATA, "readme.txt": b"hej\n"})
    landing = f"{SITE}/records/{record.pk}/"
    response = getattr(client, method)(f"/records/{record.pk}/")
    assert response.status_code == 200
    found = signposts(response, landing)

    assert str(found.citeAs.target) == f"{SITE}/doi/{record.doi}"
    assert record.doi.startswith("10.5072/")
    assert {(str(s.target), str(s.type)) for s in found.describedBy} == {
        (f"{SITE}/records/{record.pk}/export/{fmt.name}", fmt.media_type) for fmt in export_formats().values()
    }
    assert {(str(s.target), str(s.type)) for s in found.items} == {
        (f"{SITE}/records/{record.pk}/files/data/m%C3%A4tning.csv", "text/csv"),
        (f"{SITE}/records/{record.pk}/files/readme.txt", "text/plain"),
    }
    assert str(found.license.target) == "https://creativecommons.org/licenses/by/4.0/legalcode"
    assert {str(s.target) for s in found.authors} == {"https://orcid.org/0000-0002-1825-0097"}
    assert {str(s.target) for s in found.types} == {
        "https://schema.org/Dataset",
        "https://schema.org/AboutPage",
    }
    assert {(str(s.target), str(s.type)) for s in found.linksets} == {
        (f"{SITE}/records/{record.pk}/linkset", "application/linkset"),
        (f"{SITE}/records/{record.pk}/linkset", "application/linkset+json"),
    }
    assert not found._extras  # nothing unparsed or duplicated


@pytest.mark.django_db
def test_every_local_target_answers_200_with_its_declared_type(client, depositor):
    record = deposit(depositor, {"data/mätning.csv": DATA})
    landing = f"{SITE}/records/{record.pk}/"
    found = signposts(client.get(f"/records/{record.pk}/"), landing)
    typed = [*found.describedBy, *found.items, *found.linksets]
    assert len(typed) == len(export_formats()) + 1 + 2
    for signpost in typed:
        response = client.get(local_path(str(signpost.target)), HTTP_ACCEPT=str(signpost.type))
        assert response.status_code == 200, signpost
        assert media_type(response) == str(signpost.type), signpost
    # cite-as resolves here (a local test-prefix DOI) to the landing page
    cite = client.get(local_path(str(found.citeAs.target)))
    assert cite.status_code == 302 and cite.headers["Location"] == f"/records/{record.pk}/"
    # external targets: checked for form only
    assert re.fullmatch(
        r"https://orcid\.org/\d{4}-\d{4}-\d{4}-\d{3}[\dX]", str(next(iter(found.authors)).target)
    )
    assert str(found.license.target).startswith("https://")
    # a file download leads back to its record
    download = client.get(f"/records/{record.pk}/files/data/m%C3%A4tning.csv")
    assert download.status_code == 200
    back = find_signposting_http_link([download.headers["Link"]], f"{SITE}/records/{record.pk}/files/x")
    assert str(back.collection.target) == landing and str(back.collection.type) == "text/html"


@pytest.mark.django_db
def test_external_doi_is_cited_through_doi_org(client, depositor):
    record = deposit(depositor, external_doi="10.1234/external.5")
    assert record.doi_is_external
    found = signposts(client.get(f"/records/{record.pk}/"), f"{SITE}/records/{record.pk}/")
    assert str(found.citeAs.target) == "https://doi.org/10.1234/external.5"


@pytest.mark.django_db
@pytest.mark.parametrize("right", ["restricted", "closed", "embargoed"])
def test_files_nobody_may_download_are_not_signposted(client, depositor, right):
    extra = {"embargo_date": "2099-01-01"} if right == "embargoed" else {}
    if right == "restricted":
        extra["access_conditions"] = "Ask the owner."
    extra.pop("license", None)
    record = deposit(depositor, {"data/mätning.csv": DATA}, access_right=right, **extra)
    found = signposts(client.get(f"/records/{record.pk}/"), f"{SITE}/records/{record.pk}/")
    assert not found.items
    assert found.citeAs is not None


@pytest.mark.django_db
def test_linkset_json_has_the_rfc_9264_shape_and_level_2_links(client, depositor):
    record = deposit(depositor, {"readme.txt": b"hej\n"})
    landing = f"{SITE}/records/{record.pk}/"
    response = client.get(f"/records/{record.pk}/linkset", HTTP_ACCEPT="application/linkset+json")
    assert response.status_code == 200
    assert media_type(response) == "application/linkset+json"
    assert "Accept" in response.headers["Vary"]
    body = json.loads(response.content)
    assert list(body) == ["linkset"] and isinstance(body["linkset"], list)
    for context in body["linkset"]:
        assert isinstance(context["anchor"], str)
        for rel, targets in context.items():
            if rel != "anchor":
                assert isinstance(targets, list) and all("href" in t for t in targets), rel
    assert body["linkset"][0]["anchor"] == landing
    url = AbsoluteURI(f"{SITE}/records/{record.pk}/linkset")
    parsed = _parse_linkset_json(LinksetJSON(response.content.decode(), media_type(response), url, url))
    page = parsed.for_context(landing)
    assert str(page.citeAs.target) == f"{SITE}/doi/{record.doi}"
    assert len(page.describedBy) == len(export_formats())
    file_url = f"{SITE}/records/{record.pk}/files/readme.txt"
    assert str(parsed.for_context(file_url).collection.target) == landing
    export_url = f"{SITE}/records/{record.pk}/export/json"
    assert {str(s.target) for s in parsed.for_context(export_url).describes} == {landing}


@pytest.mark.django_db
def test_linkset_text_parses_to_the_same_signposts(client, depositor):
    record = deposit(depositor, {"readme.txt": b"hej\n"})
    url = AbsoluteURI(f"{SITE}/records/{record.pk}/linkset")
    text = client.get(f"/records/{record.pk}/linkset")
    assert text.status_code == 200 and media_type(text) == "application/linkset"
    as_json = client.get(f"/records/{record.pk}/linkset", HTTP_ACCEPT="application/linkset+json")
    from_text = _parse_linkset(Linkset(text.content.decode(), "application/linkset", url, url))
    from_json = _parse_linkset_json(
        LinksetJSON(as_json.content.decode(), "application/linkset+json", url, url)
    )
    assert from_text.signposts == from_json.signposts
    # the page's links, a describes back link per export, a collection back link per file
    assert len(from_text.signposts) > 2 * len(export_formats()) + 1


@pytest.mark.django_db
def test_large_relations_move_to_the_linkset(client, depositor, settings):
    settings.SIGNPOSTING_HEADER_LINKS = 1
    record = deposit(depositor, {"a.txt": b"a", "b.txt": b"b"})
    found = signposts(client.get(f"/records/{record.pk}/"), f"{SITE}/records/{record.pk}/")
    assert not found.items and not found.describedBy  # more than one of each
    assert found.citeAs is not None and found.license is not None and len(found.linksets) == 2
    body = client.get(f"/records/{record.pk}/linkset", HTTP_ACCEPT="application/linkset+json").json()
    assert len(body["linkset"][0]["item"]) == 2


@pytest.mark.django_db
def test_drafts_and_withdrawn_records_have_no_signposts(client, depositor, staff):
    from records.services import create_draft

    draft = create_draft(depositor, make_metadata())
    client.force_login(depositor)
    assert "Link" not in client.get(f"/records/{draft.pk}/").headers
    assert client.get(f"/records/{draft.pk}/linkset").status_code == 404
    client.logout()
    assert client.get(f"/records/{draft.pk}/linkset").status_code == 404
    gone = deposit(depositor)
    from records.services import withdraw

    withdraw(gone, staff, "Duplicate of another record.")
    tombstone = client.get(f"/records/{gone.pk}/")
    assert tombstone.status_code == 410 and "Link" not in tombstone.headers
    assert client.get(f"/records/{gone.pk}/linkset").status_code == 404
