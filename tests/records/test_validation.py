"""The metadata schema and its custom formats: errors by path, with messages naming the problem."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from records.validation import (
    clean_metadata,
    licenses,
    load_schema,
    normalize_ror,
    sanitize_html,
    validate_metadata,
)
from tests.records.conftest import future, make_metadata


def paths(errors):
    return {e.jsonpath: e for e in errors}


def test_schema_is_versioned_draft_2020_12():
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("record-v1.0.0.json")
    assert schema["version"] == "1.0.0"


def test_valid_metadata_has_no_errors(valid_metadata):
    assert validate_metadata(clean_metadata(valid_metadata)) == []


def test_missing_required_fields_are_named():
    errors = paths(validate_metadata({}))
    for field in ("$.title", "$.creators", "$.publication_date", "$.resource_type", "$.access_right"):
        assert errors[field].code == "required"


def test_draft_may_be_incomplete_but_not_invalid():
    assert validate_metadata({"title": "Only a title"}, complete=False) == []
    errors = paths(validate_metadata({"publication_date": "2026-02-30"}, complete=False))
    assert "$.publication_date" in errors


@pytest.mark.parametrize("value", ["2026-02-30", "2025-13", "2023-02-29", "20240101", "May 2024"])
def test_impossible_or_malformed_dates_are_refused(value):
    errors = paths(validate_metadata(make_metadata(publication_date=value)))
    assert errors["$.publication_date"].code == "format"


@pytest.mark.parametrize("value", ["2024", "2024-02", "2024-02-29"])
def test_partial_dates_are_accepted(value):
    assert validate_metadata(make_metadata(publication_date=value)) == []


def test_date_2026_02_30_message_names_the_problem():
    error = paths(validate_metadata(make_metadata(publication_date="2026-02-30")))["$.publication_date"]
    assert "2026-02-30" in error.message and "calendar" in error.message


def test_invalid_orcid_check_digit_is_reported_at_its_path(valid_metadata):
    valid_metadata["creators"][1]["orcid"] = "0000-0002-1825-0098"
    error = paths(validate_metadata(clean_metadata(valid_metadata)))["$.creators[1].orcid"]
    assert "check digit" in error.message
    assert error.pointer == "/creators/1/orcid"


def test_orcid_url_is_normalised(valid_metadata):
    valid_metadata["creators"][1]["orcid"] = "https://orcid.org/0000-0002-1694-233X"
    cleaned = clean_metadata(valid_metadata)
    assert cleaned["creators"][1]["orcid"] == "0000-0002-1694-233X"
    assert validate_metadata(cleaned) == []


def test_unknown_licence_is_refused():
    error = paths(validate_metadata(make_metadata(license="CC-BY-5.0")))["$.license"]
    assert "CC-BY-5.0" in error.message


def test_licence_is_required_for_open_and_embargoed_access_only(valid_metadata):
    del valid_metadata["license"]
    assert "$.license" in paths(validate_metadata(valid_metadata))
    valid_metadata["access_right"] = "closed"
    assert validate_metadata(valid_metadata) == []


def test_shipped_licence_list_has_the_common_licences():
    ids = set(licenses())
    assert len(ids) >= 50
    for spdx in (
        "CC-BY-4.0",
        "CC-BY-SA-4.0",
        "CC0-1.0",
        "MIT",
        "Apache-2.0",
        "GPL-3.0-or-later",
        "BSD-3-Clause",
    ):
        assert spdx in ids
        assert licenses()[spdx]["name"] and licenses()[spdx]["url"].startswith("http")


def test_embargo_date_in_the_past_is_refused():
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    error = paths(validate_metadata(make_metadata(access_right="embargoed", embargo_date=yesterday)))[
        "$.embargo_date"
    ]
    assert error.code == "past_date"
    assert validate_metadata(make_metadata(access_right="embargoed", embargo_date=future())) == []


def test_embargo_needs_an_end_date_and_restricted_needs_conditions():
    assert "$.embargo_date" in paths(validate_metadata(make_metadata(access_right="embargoed")))
    errors = paths(validate_metadata(make_metadata(access_right="restricted")))
    assert "$.access_conditions" in errors


def test_languages_must_be_iso_639_3():
    errors = paths(validate_metadata(make_metadata(languages=["eng", "xqz"])))
    assert "xqz" in errors["$.languages[1]"].message
    assert validate_metadata(make_metadata(languages=["fin", "sme"])) == []


def test_ror_checksum_is_verified():
    assert normalize_ror("05f0yaq80") == "https://ror.org/05f0yaq80"
    with pytest.raises(ValueError):
        normalize_ror("05f0yaq81")
    metadata = make_metadata()
    metadata["creators"][0]["affiliations"][0]["ror"] = "026vcq607"
    assert "$.creators[0].affiliations[0].ror" in paths(validate_metadata(clean_metadata(metadata)))


def test_subtype_required_for_publications_and_refused_for_datasets():
    errors = paths(validate_metadata(make_metadata(resource_type={"type": "publication"})))
    assert errors["$.resource_type.subtype"].code == "required"
    errors = paths(validate_metadata(make_metadata(resource_type={"type": "dataset", "subtype": "article"})))
    assert "$.resource_type" in errors


def test_related_identifier_is_checked_by_scheme():
    related = [{"identifier": "not a doi", "scheme": "doi", "relation": "IsSupplementTo"}]
    errors = paths(validate_metadata(make_metadata(related_identifiers=related)))
    assert "$.related_identifiers[0].identifier" in errors
    related = [{"identifier": "https://doi.org/10.1234/ABC", "scheme": "doi", "relation": "IsSupplementTo"}]
    cleaned = clean_metadata(make_metadata(related_identifiers=related))
    assert cleaned["related_identifiers"][0]["identifier"] == "10.1234/ABC"
    assert validate_metadata(cleaned) == []


def test_invalid_contact_email_and_unknown_fields():
    errors = paths(validate_metadata(make_metadata(contact_email="not-an-address", colour="blue")))
    assert "$.contact_email" in errors
    assert "colour" in errors["$"].message


def test_description_html_is_sanitised():
    dirty = (
        '<p onclick="steal()">Hello <script>alert(1)</script><a href="javascript:alert(2)">x</a>'
        '<a href="https://example.org">ok</a><img src=x onerror=alert(3)></p>'
    )
    clean = sanitize_html(dirty)
    assert "script" not in clean and "onclick" not in clean and "javascript:" not in clean
    assert "onerror" not in clean and "<img" not in clean
    assert '<a href="https://example.org"' in clean


def test_html_in_plain_text_fields_is_removed():
    cleaned = clean_metadata(make_metadata(title="<b>Bold</b> claims <script>alert(1)</script>& more"))
    assert cleaned["title"] == "Bold claims & more"
    cleaned = clean_metadata(make_metadata(keywords=["<i>ai</i>", "a < b"]))
    assert cleaned["keywords"] == ["ai", "a < b"]


def test_empty_values_are_dropped_and_names_composed():
    cleaned = clean_metadata(
        {
            "title": "  A title  ",
            "version": "",
            "creators": [{"family_name": "Ek", "given_name": "Eva", "orcid": ""}],
        }
    )
    assert cleaned == {
        "title": "A title",
        "creators": [{"family_name": "Ek", "given_name": "Eva", "name": "Ek, Eva"}],
    }
