"""Every protocol error of the checklist, with its exact code, HTTP 200 and a schema-valid body."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing

from oaipmh import tokens
from tests.oaipmh.conftest import NS, REPOSITORY, error_codes, parse_and_validate, request_attributes


def ident(record) -> str:
    return f"oai:{REPOSITORY}:{record.pk}"


# --- badVerb: request element without attributes ----------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"verb": "Frobnicate"},
        {"verb": "identify"},  # verbs are case-sensitive
        {"verb": "LISTRECORDS", "metadataPrefix": "oai_dc"},
        {"verb": ["Identify", "Identify"]},  # repeated, even with the same value
        {"verb": ["Identify", "ListSets"]},
        {"verb": ""},
    ],
)
@pytest.mark.django_db
def test_bad_verb(oai, query):
    root = oai(**query)
    assert error_codes(root) == ["badVerb"]
    assert request_attributes(root) == {}
    assert root.findtext("{http://www.openarchives.org/OAI/2.0/}request") == "http://testserver/oai2d"


# --- badArgument: request element without attributes --------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"verb": "Identify", "metadataPrefix": "oai_dc"},  # Identify takes no arguments
        {"verb": "Identify", "foo": "bar"},
        {"verb": "ListRecords"},  # missing metadataPrefix
        {"verb": "ListIdentifiers"},
        {"verb": "GetRecord", "metadataPrefix": "oai_dc"},  # missing identifier
        {"verb": "GetRecord", "identifier": "oai:x:1"},  # missing metadataPrefix
        {"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]},  # repeated argument
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": ["a", "b"]},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "identifier": "oai:x:1"},  # illegal argument
        {"verb": "ListSets", "metadataPrefix": "oai_dc"},
        {"verb": "ListMetadataFormats", "metadataPrefix": "oai_dc"},
        {"verb": "GetRecord", "identifier": "oai:x:1", "metadataPrefix": "oai_dc", "from": "2020-01-01"},
        {"verb": "ListRecords", "metadataPrefix": ""},  # empty value
        {"verb": "ListRecords", "metadataPrefix": "oai dc"},  # not a metadataPrefix
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "a b"},  # not a setSpec
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "user-x:"},
        # dates: malformed, finer than the repository's, offsets, mixed granularity, from > until
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-13-01"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-30"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2024-01-01T25:00:00Z"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2002-06-01T03:020:00Z"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01T10:00:00.5Z"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01T10:00:00"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01T10:00:00+01:00"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01T10:00Z"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024"},
        {
            "verb": "ListRecords",
            "metadataPrefix": "oai_dc",
            "from": "2024-01-01",
            "until": "2024-02-01T00:00:00Z",
        },
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2024-02-02", "until": "2024-02-01"},
        {
            "verb": "ListIdentifiers",
            "metadataPrefix": "oai_dc",
            "from": "2024-02-01T10:00:01Z",
            "until": "2024-02-01T10:00:00Z",
        },
        # a resumptionToken with any other argument (preferred over badResumptionToken)
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "whatever"},
        {"verb": "ListIdentifiers", "set": "user-x", "resumptionToken": "whatever"},
        {"verb": "ListSets", "set": "user-x", "resumptionToken": "whatever"},
        {"verb": "ListRecords", "resumptionToken": ""},
        {"verb": "ListRecords", "resumptionToken": ["a", "b"]},
        {"verb": "GetRecord", "identifier": "oai:x:1", "metadataPrefix": "oai_dc", "resumptionToken": "a"},
        # control characters cannot be echoed in XML
        {"verb": "GetRecord", "identifier": "oai:x:\x01", "metadataPrefix": "oai_dc"},
    ],
)
@pytest.mark.django_db
def test_bad_argument(oai, query):
    root = oai(**query)
    assert error_codes(root) == ["badArgument"]
    assert request_attributes(root) == {}


@pytest.mark.django_db
def test_bad_argument_over_post_too(oai):
    root = oai(method="post", verb="ListRecords", metadataPrefix="oai_dc", until="not-a-date")
    assert error_codes(root) == ["badArgument"]
    assert request_attributes(root) == {}


@pytest.mark.django_db
def test_day_granularity_and_equal_bounds_are_accepted(oai, publish_record):
    record = publish_record()
    day = record.datestamp.strftime("%Y-%m-%d")
    root = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": day, "until": day})
    assert error_codes(root) == []
    second = record.datestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    root = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": second, "until": second})
    assert [h.text for h in root.iter("{http://www.openarchives.org/OAI/2.0/}identifier")] == [ident(record)]


# --- badResumptionToken ----------------------------------------------------------------------------


def _first_token(oai, settings, publish_record, verb="ListRecords"):
    settings.OAI_PAGE_SIZE = 1
    publish_record()
    publish_record()
    root = oai(verb=verb, metadataPrefix="oai_dc")
    return root.findtext(".//{http://www.openarchives.org/OAI/2.0/}resumptionToken")


@pytest.mark.django_db
@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers", "ListSets"])
@pytest.mark.parametrize(
    "garbage", ["garbage", "x" * 500, "Ω:ö", ".eJyrVkrOzylJzSvJTM1VslIqS8wpTVWyUkouTUxOTQ", "a:b:c"]
)
def test_garbage_token(oai, verb, garbage):
    root = oai(verb=verb, resumptionToken=garbage)
    assert error_codes(root) == ["badResumptionToken"]
    assert request_attributes(root) == {"verb": verb, "resumptionToken": garbage}


@pytest.mark.django_db
def test_tampered_token(oai, settings, publish_record):
    token = _first_token(oai, settings, publish_record)
    value, signature = token.rsplit(":", 1)
    flipped = value[:-3] + ("A" if value[-3] != "A" else "B") + value[-2:]
    assert error_codes(oai(verb="ListRecords", resumptionToken=f"{flipped}:{signature}")) == [
        "badResumptionToken"
    ]
    forged = signing.Signer(key="not-our-secret", salt=tokens.SALT).sign_object(
        {"v": "ListRecords"}, compress=True
    )
    assert error_codes(oai(verb="ListRecords", resumptionToken=forged)) == ["badResumptionToken"]
    assert error_codes(oai(verb="ListRecords", resumptionToken=token[:-1])) == ["badResumptionToken"]
    assert error_codes(oai(verb="ListRecords", resumptionToken=token)) == []  # the genuine one works


@pytest.mark.django_db
def test_token_of_another_verb(oai, settings, publish_record):
    token = _first_token(oai, settings, publish_record, verb="ListIdentifiers")
    assert error_codes(oai(verb="ListRecords", resumptionToken=token)) == ["badResumptionToken"]
    assert error_codes(oai(verb="ListSets", resumptionToken=token)) == ["badResumptionToken"]


@pytest.mark.django_db
def test_expired_token(oai, settings, publish_record, monkeypatch):
    token = _first_token(oai, settings, publish_record)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=settings.OAI_TOKEN_TTL_HOURS, seconds=1)
    real_read = tokens.read
    monkeypatch.setattr(tokens, "read", lambda t, now=None: real_read(t, later))
    assert error_codes(oai(verb="ListRecords", resumptionToken=token)) == ["badResumptionToken"]


@pytest.mark.django_db
def test_well_signed_token_with_a_malformed_payload(oai):
    for payload in ({"v": "ListRecords"}, {"v": "ListRecords", "a": "x"}, [1, 2], "text"):
        token = signing.Signer(salt=tokens.SALT).sign_object(payload, compress=True)
        assert error_codes(oai(verb="ListRecords", resumptionToken=token)) == ["badResumptionToken"]


# --- cannotDisseminateFormat, idDoesNotExist, noMetadataFormats ------------------------------------


@pytest.mark.django_db
def test_unknown_metadata_prefix(oai, publish_record):
    record = publish_record()
    for verb in ("ListRecords", "ListIdentifiers"):
        root = oai(verb=verb, metadataPrefix="all")  # 'all' is reserved, not a format
        assert error_codes(root) == ["cannotDisseminateFormat"]
        assert request_attributes(root) == {"verb": verb, "metadataPrefix": "all"}
    root = oai(verb="GetRecord", identifier=ident(record), metadataPrefix="rfc1807")
    assert error_codes(root) == ["cannotDisseminateFormat"]
    assert request_attributes(root) == {
        "verb": "GetRecord",
        "identifier": ident(record),
        "metadataPrefix": "rfc1807",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "identifier",
    [
        "oai:repository.example.org:999999",
        "oai:other.example.org:1",
        "oai:repository.example.org:abc",
        "oai:repository.example.org:01",
        'oai:repository.example.org:1"><script>alert(1)</script>',
        "oai:repository.example.org:1'<&>\"",
        "oai:repository.example.org:%zz#a#b[]",
        "not a uri at all",
        "ok",
    ],
)
def test_unknown_or_illegal_identifier(oai, identifier):
    root = oai(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    assert error_codes(root) == ["idDoesNotExist"]
    assert request_attributes(root)["verb"] == "GetRecord"
    root = oai(verb="ListMetadataFormats", identifier=identifier)
    assert error_codes(root) == ["idDoesNotExist"]


@pytest.mark.django_db
def test_unknown_identifier_and_unknown_prefix_both_reported(oai):
    root = oai(verb="GetRecord", identifier="oai:repository.example.org:42", metadataPrefix="nope")
    assert error_codes(root) == ["idDoesNotExist", "cannotDisseminateFormat"]


@pytest.mark.django_db
def test_drafts_do_not_exist(oai, depositor):
    from records import services

    draft = services.create_draft(depositor, {"title": "Secret draft"})
    assert error_codes(oai(verb="GetRecord", identifier=ident(draft), metadataPrefix="oai_dc")) == [
        "idDoesNotExist"
    ]
    assert error_codes(oai(verb="ListMetadataFormats", identifier=ident(draft))) == ["idDoesNotExist"]
    assert error_codes(oai(verb="ListIdentifiers", metadataPrefix="oai_dc")) == ["noRecordsMatch"]


@pytest.mark.django_db
def test_withdrawn_record_has_no_metadata_formats(
    oai, publish_record, depositor, django_capture_on_commit_callbacks
):
    from tests.oaipmh.conftest import withdraw_record

    record = withdraw_record(publish_record(), depositor, django_capture_on_commit_callbacks)
    root = oai(verb="ListMetadataFormats", identifier=ident(record))
    assert error_codes(root) == ["noMetadataFormats"]
    assert request_attributes(root) == {"verb": "ListMetadataFormats", "identifier": ident(record)}


# --- noRecordsMatch, noSetHierarchy --------------------------------------------------------------


@pytest.mark.django_db
def test_no_records_match(oai, publish_record, community):
    assert error_codes(oai(verb="ListRecords", metadataPrefix="oai_dc")) == [
        "noRecordsMatch"
    ]  # empty repository
    publish_record()
    root = oai(verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2999-01-01"})
    assert error_codes(root) == ["noRecordsMatch"]
    assert request_attributes(root) == {
        "verb": "ListRecords",
        "metadataPrefix": "oai_dc",
        "from": "2999-01-01",
    }
    assert error_codes(oai(verb="ListIdentifiers", metadataPrefix="oai_dc", until="1999-12-31")) == [
        "noRecordsMatch"
    ]
    # an existing but empty set, an unknown set and a hierarchy we do not have
    assert error_codes(oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set="user-stockholm-ai")) == [
        "noRecordsMatch"
    ]
    assert error_codes(oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set="user-nope")) == [
        "noRecordsMatch"
    ]
    assert error_codes(oai(verb="ListRecords", metadataPrefix="oai_dc", set="stockholm-ai")) == [
        "noRecordsMatch"
    ]
    assert error_codes(oai(verb="ListRecords", metadataPrefix="oai_dc", set="user-stockholm-ai:x")) == [
        "noRecordsMatch"
    ]


@pytest.mark.django_db
def test_type_sets_make_a_set_hierarchy_without_communities(oai, publish_record):
    # OpenAIRE's type sets always exist (issue 17): never noSetHierarchy, an unknown set matches nothing
    publish_record()
    root = oai(verb="ListSets")
    assert error_codes(root) == []
    assert [s.text for s in root.iterfind(".//oai:setSpec", NS)] == ["openaire", "openaire_data"]
    assert request_attributes(root) == {"verb": "ListSets"}
    for verb in ("ListRecords", "ListIdentifiers"):
        assert error_codes(oai(verb=verb, metadataPrefix="oai_dc", set="user-anything")) == ["noRecordsMatch"]


# --- transport -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_post_form_and_percent_encoded_arguments(client, publish_record):
    record = publish_record()
    response = client.post(
        "/oai2d",
        f"metadataPrefix=oai_dc&identifier=oai%3Arepository.example.org%3A{record.pk}&verb=GetRecord",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    root = parse_and_validate(b"".join(response.streaming_content))
    assert error_codes(root) == []
    assert request_attributes(root)["identifier"] == ident(record)
    response = client.get(
        f"/oai2d?identifier=oai%3Arepository.example.org%3A{record.pk}&metadataPrefix=oai_dc&verb=GetRecord"
    )
    assert error_codes(parse_and_validate(b"".join(response.streaming_content))) == []


@pytest.mark.django_db
def test_post_needs_no_csrf_token(publish_record):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/oai2d", {"verb": "Identify"})
    assert response.status_code == 200
    assert b"<Identify>" in b"".join(response.streaming_content)


@pytest.mark.django_db
def test_other_methods_are_refused(client):
    assert client.put("/oai2d").status_code == 405
    assert client.delete("/oai2d").status_code == 405


@pytest.mark.django_db
def test_every_error_code_is_one_of_the_schema_enum(oai):
    # the schema validation in ``oai`` would reject an unknown code; check the content type header too
    root = oai(verb="Nope")
    assert root.find("{http://www.openarchives.org/OAI/2.0/}error").text


@pytest.mark.django_db
def test_response_date_is_utc_with_z_and_whole_seconds(oai, publish_record):
    """The schema accepts any xs:dateTime here; the protocol wants UTC 'Z' at second granularity."""
    import re

    publish_record()
    for query in (
        {"verb": "Identify"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc"},
        {"verb": "Nope"},
    ):
        response_date = oai(**query).findtext("{http://www.openarchives.org/OAI/2.0/}responseDate")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", response_date)
        when = dt.datetime.strptime(response_date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        assert abs(dt.datetime.now(dt.UTC) - when) < dt.timedelta(seconds=5)


@pytest.mark.django_db
def test_head_is_answered_like_get(client):
    assert client.head("/oai2d", {"verb": "Identify"}).status_code == 200


@pytest.mark.django_db
def test_extreme_but_legal_dates_and_odd_input_never_fail(oai, publish_record, client):
    record = publish_record()
    root = oai(
        verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "0001-01-01", "until": "9999-12-31"}
    )
    assert [h.text for h in root.iter("{http://www.openarchives.org/OAI/2.0/}identifier")] == [ident(record)]
    assert error_codes(oai(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "0000-01-01"})) == [
        "badArgument"
    ]
    assert error_codes(oai(verb="Identify", **{"\x01bad": "x"})) == ["badArgument"]
    assert error_codes(oai(verb="Identify\x00")) == ["badVerb"]
    assert error_codes(oai(verb="ListSets", resumptionToken="a\x00b")) == ["badArgument"]
    assert error_codes(
        oai(verb="GetRecord", identifier="oai:repository.example.org:" + "9" * 40, metadataPrefix="oai_dc")
    ) == ["idDoesNotExist"]
    response = client.get("/oai2d?verb=GetRecord&metadataPrefix=oai_dc&identifier=%FF%FE%00")
    assert response.status_code == 200
    assert error_codes(parse_and_validate(b"".join(response.streaming_content))) == ["badArgument"]
