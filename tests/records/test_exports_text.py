"""Public JSON, BibTeX, CSL-JSON, schema.org JSON-LD and the APA citation."""

from __future__ import annotations

import json
import re

import pytest

from records.exports.bibtex import escape, to_bibtex
from records.exports.citation import apa, apa_html
from records.exports.csl import to_csl
from records.exports.json import to_json
from records.exports.jsonld import to_jsonld, to_jsonld_script
from tests.records.exports_fixture import CONTACT_EMAIL, ORCID, all_fields, make_record


@pytest.fixture
def record(depositor):
    return make_record(depositor)


# --- Public JSON --------------------------------------------------------------------------------


def test_public_json_is_the_record_minus_private_fields(record):
    data = to_json(record)
    assert data["id"] == record.pk
    assert data["doi"] == record.doi
    assert data["state"] == "published"
    assert data["published"] == record.published_at.isoformat()
    assert data["updated"] == record.datestamp.isoformat()
    assert data["links"]["html"] == f"http://127.0.0.1:8000/records/{record.pk}/"
    assert data["links"]["doi"] == f"https://doi.org/{record.doi}"
    assert (
        data["links"]["exports"]["datacite"] == f"http://127.0.0.1:8000/records/{record.pk}/export/datacite"
    )
    assert "contact_email" not in data["metadata"]
    expected = {k for k in all_fields() if k != "contact_email"}
    assert set(data["metadata"]) == expected
    assert data["metadata"]["title"] == "Ångströms lag för maskininlärning: en översikt"
    assert data["metadata"]["creators"][0]["affiliations"][0] == {
        "name": "Stockholms universitet",
        "ror": "05f0yaq80",
    }
    json.dumps(data)  # serialisable as is


def test_public_json_lists_public_files_with_checksums(depositor, monkeypatch):
    monkeypatch.setattr(
        "storage.services.current_files",
        lambda record: [{"key": "data.csv", "size": 5, "md5": "0" * 32, "mimetype": "text/csv"}],
    )
    record = make_record(depositor, all_fields(access_right="open"))
    files = to_json(record)["files"]
    assert files == [
        {
            "key": "data.csv",
            "size": 5,
            "checksum": "md5:" + "0" * 32,
            "mimetype": "text/csv",
            "links": {"self": f"http://127.0.0.1:8000/records/{record.pk}/files/data.csv"},
        }
    ]


@pytest.mark.parametrize("right", ["embargoed", "restricted", "closed"])
def test_files_of_non_open_records_are_not_listed(depositor, monkeypatch, right):
    monkeypatch.setattr(
        "storage.services.current_files",
        lambda record: [{"key": "hemlig.csv", "size": 5, "md5": "0" * 32, "mimetype": "text/csv"}],
    )
    record = make_record(depositor, all_fields(access_right=right))
    assert to_json(record)["files"] == []
    assert "hemlig.csv" not in json.dumps(to_jsonld(record))


def test_lifted_embargo_lists_files(depositor, monkeypatch):
    monkeypatch.setattr(
        "storage.services.current_files",
        lambda record: [{"key": "nu-öppen.csv", "size": 5, "md5": "0" * 32, "mimetype": "text/csv"}],
    )
    record = make_record(depositor, all_fields(access_right="embargoed", embargo_date="2000-01-01"))
    assert [f["key"] for f in to_json(record)["files"]] == ["nu-öppen.csv"]


# --- BibTeX ----------------------------------------------------------------------------------------


def test_bibtex_entry_fields(record):
    bib = to_bibtex(record)
    assert bib.startswith(f"@article{{oberg_2024_{record.pk},\n")
    assert bib.endswith("}\n")
    assert (
        "author       = {Öberg, Åsa-Karin Maria and Nguyễn, Thị Ánh and {Forskningsgruppen för AI \\& Språk}},"
        in bib
    )
    assert "editor       = {Żółć, Łukasz}," in bib
    assert "title        = {{Ångströms lag för maskininlärning: en översikt}}," in bib
    assert "publisher    = {Stockholms universitets förlag}," in bib
    assert "year         = {2024}," in bib
    assert "month        = may," in bib
    assert f"doi          = {{{record.doi}}}," in bib
    assert f"url          = {{https://doi.org/{record.doi}}}," in bib
    assert "keywords     = {maskininlärning, Ångström, naïve Bayes}," in bib
    assert "language     = {Swedish}," in bib
    assert "version      = {v1.0-β}," in bib
    assert "abstract     = {Vi studerar Ångströms lag \\& dess följder." in bib


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def test_bibtex_escapes_specials_and_keeps_braces_balanced():
    assert escape("50% & $5 #1 a_b ~ ^ \\") == (
        r"50\% \& \$5 \#1 a\_b \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )
    for nasty in ["}{ evil", "a } b { c", "{{{", "}}}", "x{y}z"]:
        assert _balanced(escape(nasty)), nasty


def test_bibtex_title_with_stray_braces_cannot_break_the_entry(depositor):
    record = make_record(depositor, all_fields(title="Trasig } titel, author = {Inte}"))
    bib = to_bibtex(record)
    assert _balanced(bib)
    assert len(re.findall(r"^  author ", bib, flags=re.M)) == 1


@pytest.mark.parametrize(
    "resource_type,entry",
    [
        ({"type": "dataset"}, "@dataset{"),
        ({"type": "software"}, "@software{"),
        ({"type": "publication", "subtype": "thesis"}, "@phdthesis{"),
        ({"type": "publication", "subtype": "report"}, "@techreport{"),
        ({"type": "publication", "subtype": "conferencepaper"}, "@inproceedings{"),
        ({"type": "publication", "subtype": "book"}, "@book{"),
        ({"type": "poster"}, "@misc{"),
    ],
)
def test_bibtex_entry_types(depositor, resource_type, entry):
    bib = to_bibtex(make_record(depositor, all_fields(resource_type=resource_type)))
    assert bib.startswith(entry)
    if entry == "@techreport{":
        assert "institution  = {Stockholms universitets förlag}," in bib
    if entry == "@phdthesis{":
        assert "school       = {Stockholms universitet}," in bib
    if entry == "@misc{":
        assert "howpublished = {Poster}" in bib


# --- CSL-JSON ------------------------------------------------------------------------------------


def test_csl_item(record):
    item = to_csl(record)
    assert item["id"] == str(record.pk)
    assert item["type"] == "article-journal"
    assert item["title"] == "Ångströms lag för maskininlärning: en översikt"
    assert item["author"] == [
        {"family": "Öberg", "given": "Åsa-Karin Maria"},
        {"family": "Nguyễn", "given": "Thị Ánh"},
        {"literal": "Forskningsgruppen för AI & Språk"},
    ]
    assert item["editor"] == [{"family": "Żółć", "given": "Łukasz"}]
    assert item["issued"] == {"date-parts": [[2024, 5, 17]]}
    assert item["DOI"] == record.doi
    assert item["URL"] == f"https://doi.org/{record.doi}"
    assert item["publisher"] == "Stockholms universitets förlag"
    assert item["language"] == "sv"
    assert item["version"] == "v1.0-β"
    assert item["keyword"] == "maskininlärning, Ångström, naïve Bayes"
    assert item["abstract"].startswith("Vi studerar")
    json.dumps(item)


def test_csl_partial_date_and_types(depositor):
    item = to_csl(
        make_record(depositor, all_fields(publication_date="2023-02", resource_type={"type": "dataset"}))
    )
    assert item["issued"] == {"date-parts": [[2023, 2]]}
    assert item["type"] == "dataset"


# --- JSON-LD -----------------------------------------------------------------------------------


def test_jsonld_document(record):
    doc = to_jsonld(record)
    assert doc["@context"] == "https://schema.org"
    assert doc["@type"] == "ScholarlyArticle"
    assert doc["@id"] == f"https://doi.org/{record.doi}"
    assert doc["url"] == f"http://127.0.0.1:8000/records/{record.pk}/"
    assert doc["identifier"]["value"] == record.doi
    assert doc["name"] == "Ångströms lag för maskininlärning: en översikt"
    first = doc["creator"][0]
    assert first["@id"] == f"https://orcid.org/{ORCID}"
    assert first["givenName"] == "Åsa-Karin Maria"
    assert first["affiliation"][0] == {
        "@type": "Organization",
        "name": "Stockholms universitet",
        "@id": "https://ror.org/05f0yaq80",
    }
    assert doc["creator"][2] == {"@type": "Organization", "name": "Forskningsgruppen för AI & Språk"}
    assert doc["datePublished"] == "2024-05-17"
    assert doc["inLanguage"] == ["sv", "en", "de"]
    assert doc["license"] == "https://creativecommons.org/licenses/by/4.0/legalcode"
    assert doc["keywords"] == ["maskininlärning", "Ångström", "naïve Bayes"]
    assert doc["isAccessibleForFree"] is False
    assert doc["conditionsOfAccess"] == "Embargoed until 2099-12-31"
    assert doc["funding"][0]["funder"]["@id"] == "https://ror.org/03zttf063"
    assert doc["funding"][0]["identifier"] == "2021-04567"
    assert {"@id": "https://arxiv.org/abs/2101.00001"} in doc["isBasedOn"]
    assert "Smith, J. (2019). Prior art." in doc["citation"]


def test_jsonld_script_cannot_be_closed_by_metadata(depositor):
    record = make_record(depositor, all_fields(title="</script><script>alert(1)</script>"))
    script = to_jsonld_script(record)
    assert script.startswith('<script type="application/ld+json">')
    assert script.count("</script>") == 1
    assert (
        json.loads(script.removeprefix('<script type="application/ld+json">').removesuffix("</script>"))[
            "name"
        ]
        == "</script><script>alert(1)</script>"
    )


# --- APA citation ----------------------------------------------------------------------------------


def test_apa_citation(record):
    assert apa(record) == (
        "Öberg, Å.-K. M., Nguyễn, T. Á., & Forskningsgruppen för AI & Språk. (2024). "
        "Ångströms lag för maskininlärning: en översikt (Version v1.0-β). Stockholms universitets förlag. "
        f"https://doi.org/{record.doi}"
    )


def test_apa_dataset_with_bracket_description(depositor):
    metadata = all_fields(
        resource_type={"type": "dataset"},
        creators=[{"name": "Lind, Eva", "given_name": "Eva", "family_name": "Lind"}],
    )
    record = make_record(depositor, metadata)
    assert apa(record).startswith(
        "Lind, E. (2024). Ångströms lag för maskininlärning: en översikt (Version v1.0-β) [Data set]. "
    )


def test_apa_html_is_escaped_and_italicises_stand_alone_titles(depositor):
    metadata = all_fields(resource_type={"type": "dataset"}, title="<b>Fet</b> & data")
    html = apa_html(make_record(depositor, metadata))
    assert "<i>&lt;b&gt;Fet&lt;/b&gt; &amp; data</i>" in html
    assert "<b>" not in html
    assert '<a href="https://doi.org/' in html


def test_no_contact_email_in_text_formats(record):
    for output in (
        json.dumps(to_json(record)),
        to_bibtex(record),
        json.dumps(to_csl(record)),
        json.dumps(to_jsonld(record)),
        apa(record),
        str(apa_html(record)),
    ):
        assert CONTACT_EMAIL not in output
