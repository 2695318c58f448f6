"""DataCite kernel 4.7 export: every metadata field mapped, valid against the official schema."""

from __future__ import annotations

import pytest
from lxml import etree

from records.exports.base import ExportRecord, public_metadata
from records.exports.datacite import RESOURCE_TYPE_GENERAL, to_datacite, to_oai_datacite
from records.exports.xsd import validate
from tests.records.exports_fixture import (
    ORCID,
    all_fields,
    in_oai_envelope,
    make_record,
)

NS = {"d": "http://datacite.org/schema/kernel-4", "o": "http://schema.datacite.org/oai/oai-1.1/"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def xp(el, path):
    return el.xpath(path, namespaces=NS)


def texts(el, path):
    return [str(v) for v in xp(el, path)]


@pytest.fixture
def record(depositor):
    return make_record(depositor)


@pytest.fixture
def resource(record):
    return to_datacite(record)


def test_datacite_export_is_valid_kernel_4_7(resource):
    ok, errors = validate("datacite", resource)
    assert ok, errors
    assert resource.tag == "{http://datacite.org/schema/kernel-4}resource"
    assert resource.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        "http://datacite.org/schema/kernel-4 http://schema.datacite.org/meta/kernel-4/metadata.xsd"
    )


def test_identifier_is_the_doi_and_landing_page_an_alternate(record, resource):
    assert texts(resource, "d:identifier[@identifierType='DOI']/text()") == [record.doi]
    assert texts(
        resource, "d:alternateIdentifiers/d:alternateIdentifier[@alternateIdentifierType='URL']/text()"
    ) == [f"http://127.0.0.1:8000/records/{record.pk}/"]


def test_creators_with_name_type_given_family_orcid_and_ror_affiliations(resource):
    creators = xp(resource, "d:creators/d:creator")
    assert len(creators) == 3
    first, second, org = creators
    assert texts(first, "d:creatorName/text()") == ["Öberg, Åsa-Karin Maria"]
    assert texts(first, "d:creatorName/@nameType") == ["Personal"]
    assert texts(first, "d:givenName/text()") == ["Åsa-Karin Maria"]
    assert texts(first, "d:familyName/text()") == ["Öberg"]
    assert texts(first, "d:nameIdentifier[@nameIdentifierScheme='ORCID']/text()") == [
        f"https://orcid.org/{ORCID}"
    ]
    assert texts(first, "d:affiliation/text()") == ["Stockholms universitet", "Kungliga Tekniska högskolan"]
    assert texts(first, "d:affiliation/@affiliationIdentifier") == [
        "https://ror.org/05f0yaq80",
        "https://ror.org/026vcq606",
    ]
    assert set(texts(first, "d:affiliation/@affiliationIdentifierScheme")) == {"ROR"}
    assert texts(second, "d:affiliation/text()") == ["Göteborgs universitet"]
    assert texts(second, "d:affiliation/@affiliationIdentifier") == []
    assert texts(org, "d:creatorName/@nameType") == ["Organizational"]
    assert texts(org, "d:creatorName/text()") == ["Forskningsgruppen för AI & Språk"]
    assert xp(org, "d:givenName") == []


def test_titles_with_types_and_bcp47_languages(resource):
    titles = xp(resource, "d:titles/d:title")
    assert [t.text for t in titles] == [
        "Ångströms lag för maskininlärning: en översikt",
        "Ångström's law for machine learning",
        "En översikt över fältet",
        "Ångströmlagen",
        "Ett annat namn – ∑",
    ]
    assert [t.get("titleType") for t in titles] == [
        None,
        "TranslatedTitle",
        "Subtitle",
        "AlternativeTitle",
        "Other",
    ]
    assert [t.get(XML_LANG) for t in titles] == [None, "en", "sv", None, "de"]


def test_publisher_year_resource_type_version_language(resource):
    assert texts(resource, "d:publisher/text()") == ["Stockholms universitets förlag"]
    assert texts(resource, "d:publicationYear/text()") == ["2024"]
    assert texts(resource, "d:resourceType/@resourceTypeGeneral") == ["JournalArticle"]
    assert texts(resource, "d:resourceType/text()") == ["Journal article"]
    assert texts(resource, "d:version/text()") == ["v1.0-β"]
    # ISO 639-3 "swe" (the first language) becomes the BCP 47 tag "sv".
    assert texts(resource, "d:language/text()") == ["sv"]


def test_publisher_defaults_to_site_name(depositor, settings):
    settings.SITE_NAME = "Stockholm AI Repository"
    metadata = all_fields()
    del metadata["publisher"]
    resource = to_datacite(make_record(depositor, metadata))
    assert texts(resource, "d:publisher/text()") == ["Stockholm AI Repository"]


def test_keywords_and_subjects_with_schemes(resource):
    subjects = xp(resource, "d:subjects/d:subject")
    assert [s.text for s in subjects] == [
        "maskininlärning",
        "Ångström",
        "naïve Bayes",
        "Artificiell intelligens",
        "Datavetenskap",
    ]
    assert subjects[3].get("subjectScheme") == "Wikidata"
    assert subjects[3].get("valueURI") == "https://www.wikidata.org/wiki/Q11660"
    assert subjects[4].get("classificationCode") == "1.2"


def test_contributors_with_types(resource):
    contributors = xp(resource, "d:contributors/d:contributor")
    assert [c.get("contributorType") for c in contributors] == ["Editor", "HostingInstitution", "Supervisor"]
    assert texts(contributors[0], "d:contributorName/text()") == ["Żółć, Łukasz"]
    assert texts(contributors[0], "d:nameIdentifier/text()") == ["https://orcid.org/0000-0001-5109-3700"]
    assert texts(contributors[0], "d:affiliation/@affiliationIdentifier") == ["https://ror.org/048a87296"]
    assert texts(contributors[1], "d:contributorName/@nameType") == ["Organizational"]


def test_dates_issued_available_for_embargo_and_updated(record, resource):
    assert texts(resource, "d:dates/d:date[@dateType='Issued']/text()") == ["2024-05-17"]
    assert texts(resource, "d:dates/d:date[@dateType='Available']/text()") == ["2099-12-31"]
    assert texts(resource, "d:dates/d:date[@dateType='Updated']/text()") == [
        record.datestamp.date().isoformat()
    ]


def test_related_identifiers_with_types_relations_and_resource_types(resource):
    related = xp(resource, "d:relatedIdentifiers/d:relatedIdentifier")
    got = [
        (r.text, r.get("relatedIdentifierType"), r.get("relationType"), r.get("resourceTypeGeneral"))
        for r in related
    ]
    assert got == [
        ("10.1234/förbättrad.5678", "DOI", "IsSupplementTo", "Dataset"),
        ("https://example.org/källa?x=1&y=2", "URL", "References", None),
        ("2101.00001", "arXiv", "IsVersionOf", "Preprint"),
        ("swh:1:dir:d198bc9d7a6bcf6db04f476d29314f157507d505", "SWHID", "IsDerivedFrom", "Software"),
        ("978-3-16-148410-0", "ISBN", "IsPartOf", None),
        # the "other" scheme that is no URL has no DataCite type and is left out
    ]


def test_licence_and_openaire_access_right(resource):
    licence, access = xp(resource, "d:rightsList/d:rights")
    assert licence.text == "Creative Commons Attribution 4.0 International"
    assert licence.get("rightsURI") == "https://creativecommons.org/licenses/by/4.0/legalcode"
    assert licence.get("rightsIdentifier") == "CC-BY-4.0"
    assert licence.get("rightsIdentifierScheme") == "SPDX"
    assert access.get("rightsURI") == "info:eu-repo/semantics/embargoedAccess"


@pytest.mark.parametrize(
    "right,uri",
    [
        ("open", "info:eu-repo/semantics/openAccess"),
        ("restricted", "info:eu-repo/semantics/restrictedAccess"),
        ("closed", "info:eu-repo/semantics/closedAccess"),
    ],
)
def test_each_access_right_has_its_eu_repo_uri(depositor, right, uri):
    resource = to_datacite(make_record(depositor, all_fields(access_right=right)))
    assert uri in texts(resource, "d:rightsList/d:rights/@rightsURI")
    assert xp(resource, "d:dates/d:date[@dateType='Available']") == []
    assert validate("datacite", resource)[0]


def test_restricted_access_conditions_are_described(depositor):
    resource = to_datacite(make_record(depositor, all_fields(access_right="restricted")))
    assert texts(resource, "d:descriptions/d:description[@descriptionType='Other']/text()")[0] == (
        "Access conditions: Åtkomst ges till forskare efter ansökan"
    )


def test_description_is_plain_text_abstract_and_notes(resource):
    abstract = texts(resource, "d:descriptions/d:description[@descriptionType='Abstract']/text()")
    assert abstract == [
        "Vi studerar Ångströms lag & dess följder.\n• Första punkten – α\n• Andra punkten\n"
        "Frågor: [e-mail address removed] eller 日本語のテキスト."
    ]
    others = texts(resource, "d:descriptions/d:description[@descriptionType='Other']/text()")
    assert others == ["Anmärkning: skriv till [e-mail address removed] för frågor. Ödmjukt tack."]


def test_funding_references(resource):
    refs = xp(resource, "d:fundingReferences/d:fundingReference")
    assert len(refs) == 2
    assert texts(refs[0], "d:funderName/text()") == ["Vetenskapsrådet"]
    assert texts(refs[0], "d:funderIdentifier[@funderIdentifierType='ROR']/text()") == [
        "https://ror.org/03zttf063"
    ]
    assert texts(refs[0], "d:awardNumber/text()") == ["2021-04567"]
    assert texts(refs[0], "d:awardNumber/@awardURI") == ["https://www.vr.se/projekt/2021-04567"]
    assert texts(refs[0], "d:awardTitle/text()") == ["Maskininlärning för språkteknologi"]
    assert texts(refs[1], "d:funderName/text()") == ["Wallenbergstiftelserna"]
    assert xp(refs[1], "d:funderIdentifier") == []


def test_files_give_sizes_and_formats(depositor, monkeypatch):
    files = [
        {"key": "data/tabell.csv", "size": 1000, "md5": "a" * 32, "mimetype": "text/csv"},
        {"key": "läsmig.pdf", "size": 234, "md5": "b" * 32, "mimetype": "application/pdf"},
        {"key": "extra.csv", "size": 1, "md5": "c" * 32, "mimetype": "text/csv"},
    ]
    monkeypatch.setattr("storage.services.current_files", lambda record: files)
    resource = to_datacite(make_record(depositor, all_fields(access_right="open")))
    assert texts(resource, "d:sizes/d:size/text()") == ["1235 bytes", "3 files"]
    assert texts(resource, "d:formats/d:format/text()") == ["text/csv", "application/pdf"]
    assert validate("datacite", resource)[0]


def test_communities_are_related_as_collections(depositor, community):
    from records.models import CommunityRecord

    record = make_record(depositor)
    CommunityRecord.objects.create(community=community, record=record)
    resource = to_datacite(record)
    part_of = xp(resource, "d:relatedIdentifiers/d:relatedIdentifier[@resourceTypeGeneral='Collection']")
    assert [(r.text, r.get("relationType")) for r in part_of] == [
        ("http://127.0.0.1:8000/communities/stockholm-ai/", "IsPartOf")
    ]


@pytest.mark.parametrize(
    "resource_type,general",
    [
        ({"type": "publication", "subtype": subtype}, RESOURCE_TYPE_GENERAL[f"publication-{subtype}"])
        for subtype in (
            "article",
            "preprint",
            "conferencepaper",
            "report",
            "thesis",
            "book",
            "section",
            "technicalnote",
            "workingpaper",
            "proposal",
            "deliverable",
            "milestone",
            "softwaredocumentation",
            "datamanagementplan",
            "patent",
            "taxonomictreatment",
            "annotationcollection",
            "peerreview",
            "other",
        )
    ]
    + [
        ({"type": "image", "subtype": s}, "Image")
        for s in ("figure", "plot", "drawing", "diagram", "photo", "other")
    ]
    + [
        ({"type": "poster"}, "Poster"),
        ({"type": "presentation"}, "Presentation"),
        ({"type": "dataset"}, "Dataset"),
        ({"type": "video"}, "Audiovisual"),
        ({"type": "software"}, "Software"),
        ({"type": "lesson"}, "InteractiveResource"),
        ({"type": "other"}, "Other"),
    ],
)
def test_every_resource_type_maps_to_a_valid_resource_type_general(resource_type, general):
    rec = ExportRecord(
        id=7, doi="10.5072/x.7", metadata=public_metadata(all_fields(resource_type=resource_type))
    )
    resource = to_datacite(rec)
    assert texts(resource, "d:resourceType/@resourceTypeGeneral") == [general]
    ok, errors = validate("datacite", resource)
    assert ok, errors


def test_minimal_draft_without_doi_still_validates(depositor):
    metadata = {
        "resource_type": {"type": "dataset"},
        "title": "Minimal",
        "publication_date": "2023",
        "creators": [{"name": "Solo"}],
        "access_right": "closed",
    }
    record = make_record(depositor, metadata, state="draft")
    resource = to_datacite(record)
    assert texts(resource, "d:identifier/@identifierType") == ["URL"]
    assert texts(resource, "d:publicationYear/text()") == ["2023"]
    ok, errors = validate("datacite", resource)
    assert ok, errors


def test_withdrawn_record_carries_a_withdrawn_date(depositor):
    record = make_record(depositor, state="withdrawn")
    resource = to_datacite(record)
    assert texts(resource, "d:dates/d:date[@dateType='Withdrawn']/text()") == [
        record.withdrawn_at.date().isoformat()
    ]
    assert validate("datacite", resource)[0]


def test_oai_datacite_wraps_the_kernel_payload(record, settings):
    settings.DATACITE_DATACENTRE_SYMBOL = "STHLM.REPO"
    wrapper = to_oai_datacite(record)
    assert wrapper.tag == "{http://schema.datacite.org/oai/oai-1.1/}oai_datacite"
    assert texts(wrapper, "o:schemaVersion/text()") == ["4.7"]
    assert texts(wrapper, "o:datacentreSymbol/text()") == ["STHLM.REPO"]
    payload = xp(wrapper, "o:payload/d:resource")
    assert len(payload) == 1
    assert texts(payload[0], "d:identifier/text()") == [record.doi]
    ok, errors = validate("oai_datacite", wrapper)
    assert ok, errors


@pytest.mark.parametrize("builder", [to_datacite, to_oai_datacite])
def test_datacite_payloads_validate_inside_an_oai_pmh_response(record, builder):
    response = in_oai_envelope(builder(record))
    ok, errors = validate("all", etree.fromstring(etree.tostring(response)))
    assert ok, errors


# --- OpenAIRE Guidelines for Data Archives (issue 17) ---------------------------------------------


def test_datacentre_symbol_is_the_setting_not_the_host(record, settings):
    settings.DATACITE_DATACENTRE_SYMBOL = "SND.SU"
    settings.OAI_REPOSITORY_IDENTIFIER = "elsewhere.example.org"
    settings.DATACITE_USERNAME = "other.account"
    wrapper = to_oai_datacite(record)
    assert texts(wrapper, "o:datacentreSymbol/text()") == ["SND.SU"]
    assert validate("oai_datacite", wrapper)[0]


def test_embargo_has_accepted_and_available_dates(depositor):
    resource = to_datacite(
        make_record(depositor, all_fields(access_right="embargoed", embargo_date="2099-12-31"))
    )
    assert texts(resource, "d:dates/d:date[@dateType='Accepted']/text()") == ["2024-05-17"]
    assert texts(resource, "d:dates/d:date[@dateType='Available']/text()") == ["2099-12-31"]
    rights = {r.get("rightsURI"): r.text for r in xp(resource, "d:rightsList/d:rights")}
    assert rights["info:eu-repo/semantics/embargoedAccess"] == "Embargoed Access"
    assert "https://creativecommons.org/licenses/by/4.0/legalcode" in rights  # the licence beside it
    ok, errors = validate("datacite-4.7", resource)
    assert ok, errors


def test_open_record_has_no_accepted_date(depositor):
    resource = to_datacite(make_record(depositor, all_fields(access_right="open")))
    assert xp(resource, "d:dates/d:date[@dateType='Accepted']") == []


@pytest.mark.parametrize(
    "grant,award_uri",
    [
        (
            {"funder": {"name": "European Commission", "ror": "00k4n6c32"}, "award_number": "777541"},
            "info:eu-repo/grantAgreement/EC/H2020/777541/",
        ),
        (
            {
                "funder": {"name": "European Commission"},
                "award_number": "101034435",
                "award_uri": "https://cordis.europa.eu/project/id/101034435",
            },
            "info:eu-repo/grantAgreement/EC/HE/101034435/",
        ),
        (
            {
                "funder": {"name": "Europeiska kommissionen", "ror": "https://ror.org/00k4n6c32"},
                "award_number": "282896",
            },
            "info:eu-repo/grantAgreement/EC/FP7/282896/",
        ),
        (
            {
                "funder": {"name": "Wellcome Trust"},
                "award_number": "WT-1",
                "award_uri": "info:eu-repo/grantAgreement/WT//WT-1/",
            },
            "info:eu-repo/grantAgreement/WT//WT-1/",
        ),
        (
            {
                "funder": {"name": "Vetenskapsrådet"},
                "award_number": "2021-04567",
                "award_uri": "https://www.vr.se/p/1",
            },
            "https://www.vr.se/p/1",
        ),
    ],
)
def test_funded_work_carries_the_grant_agreement_id(depositor, grant, award_uri):
    resource = to_datacite(make_record(depositor, all_fields(funding=[grant])))
    (ref,) = xp(resource, "d:fundingReferences/d:fundingReference")
    assert texts(ref, "d:awardNumber/@awardURI") == [award_uri]
    assert texts(ref, "d:awardNumber/text()") == [grant["award_number"]]
    ok, errors = validate("datacite", resource)
    assert ok, errors


@pytest.mark.parametrize(
    "level,label,eu_type,bibtex",
    [
        ("bachelor", "Bachelor thesis", "info:eu-repo/semantics/bachelorThesis", "@thesis{"),
        ("master", "Master thesis", "info:eu-repo/semantics/masterThesis", "@mastersthesis{"),
        ("doctoral", "Doctoral thesis", "info:eu-repo/semantics/doctoralThesis", "@phdthesis{"),
    ],
)
def test_thesis_types_follow_the_thesis_level(depositor, level, label, eu_type, bibtex):
    from records.exports.bibtex import to_bibtex
    from records.exports.dc import to_oai_dc

    thesis = {"type": "publication", "subtype": "thesis"}
    record = make_record(depositor, all_fields(resource_type=thesis, thesis_level=level))
    resource = to_datacite(record)
    assert texts(resource, "d:resourceType/text()") == [label]
    assert texts(resource, "d:resourceType/@resourceTypeGeneral") == ["Dissertation"]
    assert validate("datacite", resource)[0]
    dc_types = to_oai_dc(record).xpath(
        "dc:type/text()", namespaces={"dc": "http://purl.org/dc/elements/1.1/"}
    )
    assert dc_types[0] == eu_type
    bib = to_bibtex(record)
    assert bib.startswith(bibtex) and "Stockholms universitet" in bib
    # the level means nothing for another type
    article = make_record(depositor, all_fields(thesis_level=level))
    assert texts(to_datacite(article), "d:resourceType/text()") == ["Journal article"]
