"""The landing page, tombstone and DOI resolver, as an anonymous visitor sees them."""

from __future__ import annotations

import json
import re

from django.urls import reverse
from lxml import html

from records import services


def test_landing_page_shows_the_metadata(client, published, valid_metadata):
    response = client.get(published.get_absolute_url())
    assert response.status_code == 200
    page = html.fromstring(response.content)
    assert page.xpath("string(//h1[@id='record-title'])") == valid_metadata["title"]
    assert page.xpath("//ul[@class='creators']/li/span[@class='creator-name']/text()") == [
        "Lindqvist, Åsa",
        "Smith, John",
    ]
    assert page.xpath("//a[@class='orcid']/@href") == ["https://orcid.org/0000-0002-1825-0097"]
    assert "Stockholm University" in page.xpath("string(//ul[@class='creators'])")
    assert page.xpath("//*[@class='doi']/text()") == [published.doi]  # a test DOI: not a link
    assert page.xpath("//a[@rel='license noopener']/@href") == [
        "https://creativecommons.org/licenses/by/4.0/legalcode"
    ]
    body = response.content.decode()
    assert "Open access" in body and "2024-05-17" in body and "Dataset" in body
    assert "<strong>Riksdag</strong>" in body  # sanitised HTML is rendered as HTML
    assert "sentiment analysis" in body and "Swedish" in body


def test_landing_page_has_scholar_meta_tags_and_json_ld(client, published):
    page = html.fromstring(client.get(published.get_absolute_url()).content)
    meta = {}
    for element in page.xpath("//meta[starts-with(@name, 'citation_')]"):
        meta.setdefault(element.get("name"), []).append(element.get("content"))
    assert meta["citation_title"] == [published.metadata["title"]]
    assert meta["citation_author"] == ["Lindqvist, Åsa", "Smith, John"]
    assert meta["citation_publication_date"] == ["2024/05/17"]
    assert meta["citation_doi"] == [published.doi]
    scripts = page.xpath("//script[@type='application/ld+json']/text()")
    assert len(scripts) == 1
    doc = json.loads(scripts[0])
    assert doc["@context"].startswith("https://schema.org") or "schema.org" in json.dumps(doc["@context"])
    assert doc["name"] == published.metadata["title"]


def test_landing_page_shows_citation_bibtex_and_export_links(client, published):
    response = client.get(published.get_absolute_url())
    page = html.fromstring(response.content)
    apa = page.xpath("string(//*[@id='citation-apa'])")
    assert "Lindqvist, Å." in apa and "(2024)" in apa and published.doi in apa
    bibtex = page.xpath("string(//*[@id='citation-bibtex'])")
    assert bibtex.startswith("@") and published.doi in bibtex
    links = page.xpath("//section[@aria-labelledby='export-heading']//a/@href")
    assert reverse("record-export", args=[published.pk, "datacite"]) in links
    # the eight of records/exports, and aitools' Croissant, Hugging Face card, CITATION.cff
    assert len(links) == 11


def test_revision_list_is_for_owners_only(client, client_for, depositor, outsider, published, valid_metadata):
    services.open_edit(published, depositor)
    services.update_metadata(published, depositor, {**valid_metadata, "title": "Second version of the title"})
    services.publish(published, depositor)
    owner_page = client_for(depositor).get(published.get_absolute_url()).content.decode()
    assert 'id="revision-list"' in owner_page and valid_metadata["title"] in owner_page
    for other in (client, client_for(outsider)):
        body = other.get(published.get_absolute_url()).content.decode()
        assert 'id="revision-list"' not in body and valid_metadata["title"] not in body
    revision_url = reverse("records:revision", args=[published.pk, 1])
    assert client_for(depositor).get(revision_url).status_code == 200
    assert client_for(outsider).get(revision_url).status_code == 404


def test_staff_see_revisions(client_for, staff, published):
    assert 'id="revision-list"' in client_for(staff).get(published.get_absolute_url()).content.decode()


def test_withdrawn_record_is_a_tombstone_with_410(client, published, staff):
    services.withdraw(published, staff, "Contains personal data of study participants")
    response = client.get(published.get_absolute_url())
    assert response.status_code == 410
    body = response.content.decode()
    assert "Contains personal data of study participants" in body
    assert published.doi in body and published.get_absolute_url() in body
    assert published.metadata["description"] not in body
    assert 'id="citation-apa"' not in body


def test_local_doi_resolves_to_the_landing_page_and_tombstone(client, published, staff):
    response = client.get(reverse("records:doi", args=[published.doi]))
    assert response.status_code == 302 and response["Location"] == published.get_absolute_url()
    assert client.get(f"/doi/{published.doi.upper()}").status_code == 302
    services.withdraw(published, staff, "Duplicate")
    response = client.get(f"/doi/{published.doi}", follow=True)
    assert response.status_code == 410
    assert client.get("/doi/10.5072/unknown.1").status_code == 404


def test_drafts_do_not_resolve_by_doi(client, depositor, valid_metadata):
    record = services.create_draft(depositor, valid_metadata, external_doi="10.1000/draft.1")
    assert client.get(f"/doi/{record.doi}").status_code == 404


def test_draft_preview_is_shown_to_its_owner(client_for, depositor, valid_metadata):
    record = services.create_draft(depositor, valid_metadata)
    body = client_for(depositor).get(record.get_absolute_url()).content.decode()
    assert "Draft: not published" in body
    assert not re.search(r'<meta name="citation_title"', body)


def test_test_prefix_dois_are_shown_but_not_linked_to_doi_org(client, published, settings):
    assert published.doi.startswith("10.5072/")
    page = html.fromstring(client.get(published.get_absolute_url()).content)
    assert page.xpath("//span[@class='doi']/text()") == [published.doi]
    assert "a test DOI: not registered" in page.text_content()
    assert not page.xpath("//a[@class='doi']")


def test_registered_dois_link_to_doi_org(client, published):
    from records.models import Record

    Record.objects.filter(pk=published.pk).update(doi="10.5281/zenodo.4242")
    body = client.get(published.get_absolute_url()).content.decode()
    assert 'href="https://doi.org/10.5281/zenodo.4242"' in body
    assert "a test DOI" not in body


def test_publication_date_and_published_here_on_are_distinguished(client, published):
    page = html.fromstring(client.get(published.get_absolute_url()).content)
    assert (
        page.xpath("string(//span[contains(@class, 'publication-date')])") == "Publication date: 2024-05-17"
    )
    terms = page.xpath("//dl[@class='record-meta']/dt/text()")
    assert "Published here on" in terms


def test_lists_show_badges_and_description_paragraphs_kept(client, depositor):
    from records import services
    from tests.records.conftest import make_metadata

    description = "<p>First paragraph ends here.</p><p>Second <em>one</em> starts.</p>"
    record = services.publish(
        services.create_draft(depositor, make_metadata(description=description, title="Snippet test")),
        depositor,
    )
    for url in ("/", "/search/?q=snippet"):
        page = html.fromstring(client.get(url).content)
        article = page.xpath(f"//article[.//a[@href='{record.get_absolute_url()}']]")[0]
        assert article.xpath(".//div[contains(@class, 'snippet')]/p/text()") == [
            "First paragraph ends here.",
            "Second one starts.",
        ]
        labels = " ".join(article.xpath(".//span[contains(@class, 'label')]/text()"))
        assert "Dataset" in labels and "Open access" in labels
