"""The ``oai_openaire`` format (issue 17): OpenAIRE Guidelines for Literature Repositories v4.

Every payload is checked against the official schema, both the 4.0 one ListMetadataFormats names and
4.1, and field by field with XPath; the checks the schema cannot make (mandatory fields, W3CDTF dates)
keep an incomplete record out of the format, and staff see it listed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from lxml import etree

from records.exports.openaire import RESOURCE_TYPES, is_w3cdtf, problems, to_openaire
from records.exports.xsd import validate
from records.resource_types import RESOURCE_TYPES as TYPE_ROWS
from records.resource_types import subtypes_by_type
from tests.oaipmh.conftest import NS, REPOSITORY, error_codes, harvest, identifiers, sweep

COAR_RIGHTS = {
    "open": "http://purl.org/coar/access_right/c_abf2",
    "embargoed": "http://purl.org/coar/access_right/c_f1cf",
    "restricted": "http://purl.org/coar/access_right/c_16ec",
    "closed": "http://purl.org/coar/access_right/c_14cb",
}
EMBARGO_END = (timezone.now().date() + dt.timedelta(days=400)).isoformat()
FUNDING = [
    {
        "funder": {"name": "European Commission", "ror": "00k4n6c32"},
        "award_number": "101034435",
        "award_title": "Open science for Sweden",
        "award_uri": "https://cordis.europa.eu/project/id/101034435",
    }
]


def ident(record) -> str:
    return f"oai:{REPOSITORY}:{record.pk}"


def x(root, path: str) -> list[str]:
    return root.xpath(path, namespaces=NS)


def access(right: str) -> dict:
    extra = {"embargoed": {"embargo_date": EMBARGO_END}, "restricted": {"access_conditions": "Ask the PI."}}
    return {"access_right": right, **extra.get(right, {})}


def resource_type(row) -> dict:
    return {"type": row.type, **({"subtype": row.subtype} if row.subtype else {})}


def valid_both(element) -> None:
    for schema in ("openaire-4.0", "openaire-4.1"):
        ok, errors = validate(schema, element)
        assert ok, (schema, errors[:3])


def payload(oai, record):
    root = oai(verb="GetRecord", identifier=ident(record), metadataPrefix="oai_openaire")
    assert error_codes(root) == []
    (resource,) = x(root, "//oai:metadata/oaire:resource")
    return resource


@pytest.mark.django_db
@pytest.mark.parametrize("right", sorted(COAR_RIGHTS))
def test_every_resource_type_with_every_access_right_is_valid(publish_record, oai, right):
    """Each resource type's COAR URI, the access right's COAR URI, both schemas, through OAI-PMH."""
    for row in TYPE_ROWS:
        if not row.subtype and row.type in subtypes_by_type():
            continue  # a type with subtypes requires one
        record = publish_record(resource_type=resource_type(row), **access(right))
        resource = payload(oai, record)
        valid_both(resource)
        code, label = RESOURCE_TYPES[row.id]
        assert x(resource, "oaire:resourceType/@uri") == [f"http://purl.org/coar/resource_type/{code}"], (
            row.id
        )
        assert x(resource, "oaire:resourceType/text()") == [label]
        general = {"dataset": "dataset", "software": "software"}.get(row.type)
        if row.type in ("publication", "poster", "presentation", "lesson"):
            general = "literature"
        assert x(resource, "oaire:resourceType/@resourceTypeGeneral") == [general or "other research product"]
        assert x(resource, "datacite:rights/@rightsURI") == [COAR_RIGHTS[right]]
        assert x(resource, "datacite:titles/datacite:title/text()") == [record.metadata["title"]]
        assert x(resource, "datacite:identifier/@identifierType") in (["DOI"], ["URL"])
        assert x(resource, "datacite:dates/datacite:date[@dateType='Issued']/text()") == ["2024-05-17"]
        assert problems(record) == []


@pytest.mark.django_db
def test_embargo_has_accepted_and_available_dates_and_licence_starts_at_its_end(publish_record, oai):
    record = publish_record(
        resource_type={"type": "publication", "subtype": "article"}, **access("embargoed")
    )
    resource = payload(oai, record)
    valid_both(resource)
    assert x(resource, "datacite:dates/datacite:date[@dateType='Accepted']/text()") == ["2024-05-17"]
    assert x(resource, "datacite:dates/datacite:date[@dateType='Available']/text()") == [EMBARGO_END]
    assert x(resource, "datacite:rights/text()") == ["embargoed access"]
    assert x(resource, "oaire:licenseCondition/@startDate") == [EMBARGO_END]
    assert x(resource, "oaire:licenseCondition/@uri") == [
        "https://creativecommons.org/licenses/by/4.0/legalcode"
    ]
    # no file of an embargoed record is public yet, so none is located
    assert x(resource, "oaire:file") == []
    for date in x(resource, "datacite:dates/datacite:date/text()"):
        assert is_w3cdtf(date)


@pytest.mark.django_db
def test_open_record_locates_its_file_with_access_right_mime_type_and_size(depositor, oai, settings):
    from records.services import create_draft, publish
    from storage.services import store_bytes
    from tests.oaipmh.conftest import metadata

    data = b"year,value\n2024,1\n"
    draft = create_draft(depositor, metadata(resource_type={"type": "publication", "subtype": "article"}))
    store_bytes(draft.bucket, "paper/tabell.csv", data, depositor)
    record = publish(draft, depositor, declaration_accepted=True)
    sweep()
    resource = payload(oai, record)
    valid_both(resource)
    (file_el,) = x(resource, "oaire:file")
    assert file_el.text == f"http://testserver/records/{record.pk}/files/paper/tabell.csv"
    assert file_el.get("accessRightsURI") == COAR_RIGHTS["open"]
    assert file_el.get("mimeType") == "text/csv"
    assert file_el.get("objectType") == "fulltext"
    assert x(resource, "datacite:sizes/datacite:size/text()") == [f"{len(data)} bytes"]
    assert x(resource, "dc:format/text()") == ["text/csv"]


@pytest.mark.django_db
def test_funding_reference_names_funder_award_number_and_uri(publish_record, oai):
    record = publish_record(funding=FUNDING, resource_type={"type": "publication", "subtype": "report"})
    resource = payload(oai, record)
    valid_both(resource)
    (ref,) = x(resource, "oaire:fundingReferences/oaire:fundingReference")
    assert x(ref, "oaire:funderName/text()") == ["European Commission"]
    assert x(ref, "oaire:funderIdentifier/text()") == ["https://ror.org/00k4n6c32"]
    assert x(ref, "oaire:funderIdentifier/@funderIdentifierType") == ["ROR"]
    assert x(ref, "oaire:awardNumber/text()") == ["101034435"]
    assert x(ref, "oaire:awardNumber/@awardURI") == ["https://cordis.europa.eu/project/id/101034435"]
    assert x(ref, "oaire:awardTitle/text()") == ["Open science for Sweden"]


@pytest.mark.django_db
def test_creators_contributors_versions_and_thesis_levels(publish_record, oai):
    record = publish_record(
        resource_type={"type": "publication", "subtype": "preprint"},
        creators=[
            {
                "name": "Öberg, Åsa",
                "given_name": "Åsa",
                "family_name": "Öberg",
                "orcid": "0000-0002-1825-0097",
            }
        ],
        contributors=[
            {"name": "Lund, Per", "role": "Supervisor"},
            {"name": "Berg, Eva", "role": "Translator"},
        ],
        languages=["swe"],
    )
    resource = payload(oai, record)
    valid_both(resource)
    assert x(resource, "datacite:creators/datacite:creator/datacite:creatorName/text()") == ["Öberg, Åsa"]
    assert x(resource, "datacite:creators/datacite:creator/datacite:nameIdentifier/text()") == [
        "https://orcid.org/0000-0002-1825-0097"
    ]
    assert x(resource, "datacite:contributors/datacite:contributor/@contributorType") == [
        "Supervisor",
        "Other",
    ]
    assert x(resource, "oaire:version/@uri") == ["http://purl.org/coar/version/c_b1a7d7d4d402bcce"]
    assert x(resource, "dc:language/text()") == ["swe"]
    software = payload(oai, publish_record(resource_type={"type": "software"}, version="1.0.3"))
    valid_both(software)
    assert x(software, "oaire:version/text()") == ["1.0.3"] and x(software, "oaire:version/@uri") == []
    for level, code in {"bachelor": "c_7a1f", "master": "c_bdcc", "doctoral": "c_db06"}.items():
        thesis = payload(
            oai,
            publish_record(resource_type={"type": "publication", "subtype": "thesis"}, thesis_level=level),
        )
        valid_both(thesis)
        assert x(thesis, "oaire:resourceType/@uri") == [f"http://purl.org/coar/resource_type/{code}"]


@pytest.mark.django_db
def test_served_as_an_export_too(publish_record, client):
    record = publish_record(resource_type={"type": "publication", "subtype": "article"})
    response = client.get(f"/records/{record.pk}/export/openaire")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    root = etree.fromstring(response.content)
    valid_both(root)
    assert x(root, "datacite:titles/datacite:title/text()") == [record.metadata["title"]]
    assert f"/records/{record.pk}/export/openaire" in client.get(f"/records/{record.pk}/").content.decode()


@pytest.mark.django_db
def test_citation_fields(publish_record, oai):
    article = publish_record(
        resource_type={"type": "publication", "subtype": "article"},
        journal_title="Journal of Swedish AI",
        journal_volume="12",
        journal_issue="3",
        journal_pages="101–117",
    )
    resource = payload(oai, article)
    valid_both(resource)
    citation = {
        el.tag.split("}")[1]: el.text for el in x(resource, "*[starts-with(local-name(), 'citation')]")
    }
    assert citation == {
        "citationTitle": "Journal of Swedish AI",
        "citationVolume": "12",
        "citationIssue": "3",
        "citationStartPage": "101",
        "citationEndPage": "117",
    }
    paper = publish_record(
        resource_type={"type": "publication", "subtype": "conferencepaper"},
        conference_title="Nordic AI Days",
        conference_place="Umeå",
        conference_dates="2024-05-17 - 2024-05-19",
    )
    resource = payload(oai, paper)
    valid_both(resource)
    assert x(resource, "oaire:citationTitle/text()") == ["Nordic AI Days"]
    assert x(resource, "oaire:citationConferencePlace/text()") == ["Umeå"]
    assert x(resource, "oaire:citationConferenceDate/text()") == ["2024-05-17 - 2024-05-19"]
    vague = payload(oai, publish_record(conference_title="Nordic AI Days", conference_dates="mid-May 2024"))
    assert x(vague, "oaire:citationConferenceDate") == []  # only the profile's date form is given


def test_w3cdtf_dates():
    assert all(is_w3cdtf(v) for v in ("2024", "2024-05", "2024-05-17", "2024-02-29"))
    assert not any(
        is_w3cdtf(v) for v in ("", "24", "2024-13", "2023-02-29", "2024-05-17T10:00Z", "17/05/2024")
    )


def incomplete(record, **changes):
    """A published record whose stored metadata lacks a mandatory field (as imported or edited by
    other means), with its datestamp moved so it is rendered again."""
    from records.models import Record

    metadata = {**record.metadata, **changes}
    metadata = {k: v for k, v in metadata.items() if v is not None}
    Record.objects.filter(pk=record.pk).update(metadata=metadata, datestamp=timezone.now())
    sweep()
    record.refresh_from_db()
    return record


@pytest.mark.django_db
def test_a_record_missing_a_mandatory_field_is_not_disseminated_and_listed_for_staff(
    publish_record, oai, client_for, staff, depositor
):
    good = publish_record(resource_type={"type": "publication", "subtype": "article"})
    undated = incomplete(publish_record(), publication_date=None)
    bad_date = incomplete(publish_record(), publication_date="17 May 2024")
    no_end = incomplete(publish_record(), access_right="embargoed", embargo_date=None)

    for record in (undated, bad_date, no_end):
        root = oai(verb="GetRecord", identifier=ident(record), metadataPrefix="oai_openaire")
        assert error_codes(root) == ["cannotDisseminateFormat"]
        # the other formats still carry it
        assert error_codes(oai(verb="GetRecord", identifier=ident(record), metadataPrefix="oai_dc")) == []
        formats = oai(verb="ListMetadataFormats", identifier=ident(record))
        assert "oai_openaire" not in x(formats, "//oai:metadataPrefix/text()")
    assert "oai_openaire" in x(
        oai(verb="ListMetadataFormats", identifier=ident(good)), "//oai:metadataPrefix/text()"
    )

    for verb in ("ListRecords", "ListIdentifiers"):
        headers, _pages = harvest(oai, verb=verb, metadataPrefix="oai_openaire")
        assert [h.findtext("oai:identifier", namespaces=NS) for h in headers] == [ident(good)], verb
    assert sorted(identifiers(oai(verb="ListIdentifiers", metadataPrefix="oai_dc"))) == sorted(
        ident(r) for r in (good, undated, bad_date, no_end)
    )

    assert client_for(depositor).get("/staff/openaire/").status_code == 403
    staff_client = client_for(staff)
    response = staff_client.get("/staff/openaire/")
    assert response.status_code == 200
    page = response.content.decode()
    for record in (undated, bad_date, no_end):
        assert f"/records/{record.pk}/" in page
    assert f"/records/{good.pk}/" not in page
    assert "Publication date is missing (mandatory)." in page
    assert "Publication date 17 May 2024 is not a W3CDTF date" in page
    assert "An embargoed record needs its embargo end date (mandatory)." in page
    desk = staff_client.get("/staff/").content.decode()
    assert 'href="/staff/openaire/"' in desk and '<span id="count-openaire">3</span>' in desk

    # fixed: disseminated again after the next render, and gone from the staff list
    incomplete(undated, publication_date="2023-01-02")
    assert x(payload(oai, undated), "datacite:dates/datacite:date[@dateType='Issued']/text()") == [
        "2023-01-02"
    ]
    assert f"/records/{undated.pk}/" not in staff_client.get("/staff/openaire/").content.decode()


@pytest.mark.django_db
def test_a_page_of_withheld_records_is_read_past(publish_record, oai, settings):
    """A whole page of records found not disseminable when rendered on demand does not end the list."""
    from oaipmh.models import RenderedPayload

    settings.OAI_PAGE_SIZE = 2
    withheld = [incomplete(publish_record(), publication_date=None) for _ in range(3)]
    good = publish_record()
    for verb in ("ListRecords", "ListIdentifiers"):
        RenderedPayload.objects.filter(
            record__in=withheld
        ).delete()  # not yet rendered: found out on the page
        headers, _pages = harvest(oai, verb=verb, metadataPrefix="oai_openaire")
        assert [h.findtext("oai:identifier", namespaces=NS) for h in headers] == [ident(good)], verb


def test_payload_of_an_unsaved_full_record_is_valid():
    from records.exports.base import ExportRecord, public_metadata
    from tests.records.exports_fixture import all_fields

    rec = ExportRecord(
        id=7,
        doi="10.5072/test.7",
        metadata=public_metadata(all_fields()),
        landing_url="http://testserver/records/7/",
    )
    element = to_openaire(rec)
    valid_both(element)
    assert etree.tostring(element).count(b"datacite:identifier ") == 1
