"""Identify and ListMetadataFormats."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.oaipmh.conftest import NS, REPOSITORY, error_codes, request_attributes

EPRINTS = "{http://www.openarchives.org/OAI/1.1/eprints}"
OAI_ID = "{http://www.openarchives.org/OAI/2.0/oai-identifier}"


@pytest.mark.django_db
def test_identify_fields_in_schema_order(oai, publish_record, settings):
    first = publish_record()
    publish_record()
    root = oai(verb="Identify")
    assert request_attributes(root) == {"verb": "Identify"}
    identify = root.find("oai:Identify", NS)
    names = [child.tag.split("}")[1] for child in identify]
    assert names == [
        "repositoryName",
        "baseURL",
        "protocolVersion",
        "adminEmail",
        "earliestDatestamp",
        "deletedRecord",
        "granularity",
        "compression",
        "description",
        "description",
    ]
    assert identify.findtext("oai:compression", namespaces=NS) == "gzip"
    assert identify.findtext("oai:repositoryName", namespaces=NS) == settings.SITE_NAME
    assert identify.findtext("oai:baseURL", namespaces=NS) == "http://testserver/oai2d"
    assert root.findtext("oai:request", namespaces=NS) == "http://testserver/oai2d"
    assert identify.findtext("oai:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("oai:adminEmail", namespaces=NS) == "oai-admin@repository.example.org"
    assert identify.findtext("oai:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("oai:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext("oai:earliestDatestamp", namespaces=NS) == first.datestamp.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


@pytest.mark.django_db
def test_base_url_follows_site_url(oai, settings):
    settings.SITE_URL = "https://repo.example.org"
    root = oai(verb="Identify")
    assert root.findtext("oai:Identify/oai:baseURL", namespaces=NS) == "https://repo.example.org/oai2d"
    assert root.findtext("oai:request", namespaces=NS) == "https://repo.example.org/oai2d"


@pytest.mark.django_db
def test_earliest_datestamp_is_true_and_never_later_than_any_header(
    oai, publish_record, depositor, django_capture_on_commit_callbacks
):
    from tests.oaipmh.conftest import withdraw_record

    records = [publish_record() for _ in range(3)]
    withdraw_record(records[0], depositor, django_capture_on_commit_callbacks)
    earliest = oai(verb="Identify").findtext("oai:Identify/oai:earliestDatestamp", namespaces=NS)
    datestamps = [
        d.text for d in oai(verb="ListIdentifiers", metadataPrefix="oai_dc").iter(f"{{{NS['oai']}}}datestamp")
    ]
    assert earliest == min(datestamps)
    assert earliest == records[1].datestamp.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )  # records[0] moved on when withdrawn


@pytest.mark.django_db
def test_empty_repository_still_identifies(oai):
    earliest = oai(verb="Identify").findtext("oai:Identify/oai:earliestDatestamp", namespaces=NS)
    assert dt.datetime.strptime(earliest, "%Y-%m-%dT%H:%M:%S%z")  # the Z is UTC


@pytest.mark.django_db
def test_oai_identifier_and_cc0_rights_descriptions(oai, publish_record):
    record = publish_record()
    root = oai(verb="Identify")
    oai_id = root.find(f".//{OAI_ID}oai-identifier")
    assert oai_id.findtext(f"{OAI_ID}scheme") == "oai"
    assert oai_id.findtext(f"{OAI_ID}repositoryIdentifier") == REPOSITORY
    assert oai_id.findtext(f"{OAI_ID}delimiter") == ":"
    assert oai_id.findtext(f"{OAI_ID}sampleIdentifier") == f"oai:{REPOSITORY}:1"
    policy = root.find(f".//{EPRINTS}eprints/{EPRINTS}metadataPolicy")
    assert "CC0" in policy.findtext(f"{EPRINTS}text")
    assert policy.findtext(f"{EPRINTS}URL") == "https://creativecommons.org/publicdomain/zero/1.0/"
    # identifiers in every list follow the declared scheme
    header = oai(verb="ListIdentifiers", metadataPrefix="oai_dc").find(".//oai:header", NS)
    assert header.findtext("oai:identifier", namespaces=NS) == f"oai:{REPOSITORY}:{record.pk}"


@pytest.mark.django_db
def test_oai_identifier_description_left_out_when_identifier_is_no_domain(oai, settings):
    settings.OAI_REPOSITORY_IDENTIFIER = "127.0.0.1"  # the schema wants a domain name
    root = oai(verb="Identify")
    assert root.find(f".//{OAI_ID}oai-identifier") is None
    assert root.find(f".//{EPRINTS}eprints") is not None


@pytest.mark.django_db
def test_list_metadata_formats(oai, publish_record):
    expected = {
        "oai_dc": (
            "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
            "http://www.openarchives.org/OAI/2.0/oai_dc/",
        ),
        "oai_datacite": (
            "http://schema.datacite.org/oai/oai-1.1/oai.xsd",
            "http://schema.datacite.org/oai/oai-1.1/",
        ),
        "oai_openaire": (
            "https://www.openaire.eu/schema/repo-lit/4.0/openaire.xsd",
            "http://namespace.openaire.eu/schema/oaire/",
        ),
        "datacite": (
            "http://schema.datacite.org/meta/kernel-4/metadata.xsd",
            "http://datacite.org/schema/kernel-4",
        ),
        "marcxml": (
            "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
            "http://www.loc.gov/MARC21/slim",
        ),
    }
    record = publish_record()
    for args in ({}, {"identifier": f"oai:{REPOSITORY}:{record.pk}"}):
        root = oai(verb="ListMetadataFormats", **args)
        assert error_codes(root) == []
        assert request_attributes(root) == {"verb": "ListMetadataFormats", **args}
        found = {
            f.findtext("oai:metadataPrefix", namespaces=NS): (
                f.findtext("oai:schema", namespaces=NS),
                f.findtext("oai:metadataNamespace", namespaces=NS),
            )
            for f in root.iterfind(".//oai:metadataFormat", NS)
        }
        assert found == expected


@pytest.mark.django_db
def test_payload_schema_location_matches_list_metadata_formats(oai, publish_record):
    record = publish_record()
    formats = oai(verb="ListMetadataFormats")
    for fmt in formats.iterfind(".//oai:metadataFormat", NS):
        prefix = fmt.findtext("oai:metadataPrefix", namespaces=NS)
        namespace = fmt.findtext("oai:metadataNamespace", namespaces=NS)
        schema = fmt.findtext("oai:schema", namespaces=NS)
        root = oai(verb="GetRecord", identifier=f"oai:{REPOSITORY}:{record.pk}", metadataPrefix=prefix)
        payload = root.find(".//oai:metadata", NS)[0]
        assert payload.tag.startswith(f"{{{namespace}}}")
        location = payload.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation").split()
        assert location == [namespace, schema]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("site", "configured", "shown", "warns"),
    [
        ("localhost", "admin@localhost", "admin@localhost.invalid", True),  # SITE_URL http://localhost:8000
        ("::1", "admin@::1", "admin@localhost.invalid", True),  # SITE_URL http://[::1]:8000
        # make run's default: schema-valid, but no address anyone can write to (no warning at each start)
        ("127.0.0.1", "admin@127.0.0.1", "admin@localhost.invalid", False),
    ],
)
def test_identify_stays_schema_valid_on_a_development_host(
    oai, publish_record, settings, site, configured, shown, warns
):
    """Without STAFF_EMAILS the adminEmail is derived from SITE_URL's host; the schema wants
    local@domain.tld, so an address it would refuse is shown under the reserved .invalid domain,
    and the oai-identifier description is left out (its schema wants a domain name)."""
    from oaipmh.checks import check_admin_email

    settings.OAI_REPOSITORY_IDENTIFIER = site
    settings.ADMIN_EMAIL = configured
    record = publish_record()
    root = oai(verb="Identify")  # validated against OAI-PMH.xsd by the fixture
    assert root.findtext("oai:Identify/oai:adminEmail", namespaces=NS) == shown
    assert root.find(f".//{OAI_ID}oai-identifier") is None
    assert root.find(f".//{EPRINTS}eprints") is not None
    header = oai(verb="ListIdentifiers", metadataPrefix="oai_dc").find(".//oai:header", NS)
    assert header.findtext("oai:identifier", namespaces=NS) == f"oai:{site}:{record.pk}"
    root = oai(verb="GetRecord", identifier=f"oai:{site}:{record.pk}", metadataPrefix="oai_dc")
    assert error_codes(root) == []
    assert [w.id for w in check_admin_email(None)] == (["oaipmh.W001"] if warns else [])
