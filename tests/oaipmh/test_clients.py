"""Full paged harvests with two real OAI-PMH clients from PyPI against a live server.

Sickle harvests with GET; ``oaipmh`` 4.x (the maintained pyoai fork) with POST. Both harvest
everything and a set, in several formats, and the results are compared with the database.
"""

from __future__ import annotations

import pytest

from tests.oaipmh import pypi_oaipmh
from tests.oaipmh.conftest import REPOSITORY, include, remove_from, withdraw_record

PYOAI = pypi_oaipmh.load()


OAIRE_TITLE = "http://datacite.org/schema/kernel-4"


def ident(record_id: int) -> str:
    return f"oai:{REPOSITORY}:{record_id}"


@pytest.fixture
def repository(live_server, settings, depositor, curator, community, django_capture_on_commit_callbacks):
    """23 published records, 2 of them withdrawn; 9 in the community, one of those removed again."""
    from records import services
    from tests.oaipmh.conftest import metadata

    settings.SITE_URL = live_server.url
    settings.OAI_PAGE_SIZE = 5
    capture = django_capture_on_commit_callbacks
    records = []
    for n in range(23):
        with capture(execute=True):
            draft = services.create_draft(depositor, metadata(title=f"Harvested record {n}"))
            records.append(services.publish(draft, depositor, declaration_accepted=True))
    requests = [include(r, community, depositor, curator, capture) for r in records[:9]]
    remove_from(requests[0], curator, capture)
    for record in (records[5], records[15]):
        withdraw_record(record, depositor, capture)
    return records


def expected(set_spec: str | None = None) -> dict[str, tuple[bool, str]]:
    """{identifier: (deleted, title)} from the database."""
    from records.models import CommunityRecord, Record

    rows = {}
    for record in Record.objects.exclude(state="draft"):
        rows[ident(record.pk)] = (record.state == "withdrawn", record.metadata["title"])
    if set_spec:
        links = CommunityRecord.objects.filter(community__slug=set_spec.removeprefix("user-"))
        rows = {
            ident(link.record_id): (
                rows[ident(link.record_id)][0] or link.removed_at is not None,
                rows[ident(link.record_id)][1],
            )
            for link in links
        }
    return rows


def test_sickle_harvests_everything_and_a_set_with_get(repository, live_server):
    from sickle import Sickle

    sickle = Sickle(f"{live_server.url}/oai2d", max_retries=0)
    identify = sickle.Identify()
    assert identify.baseURL == f"{live_server.url}/oai2d"
    assert identify.deletedRecord == "persistent"
    assert {f.metadataPrefix for f in sickle.ListMetadataFormats()} == {
        "oai_dc",
        "oai_datacite",
        "oai_openaire",
        "datacite",
        "marcxml",
    }
    assert [s.setSpec for s in sickle.ListSets()] == ["openaire", "openaire_data", "user-stockholm-ai"]

    for set_spec in (None, "user-stockholm-ai"):
        args = {
            "metadataPrefix": "oai_dc",
            "ignore_deleted": False,
            **({"set": set_spec} if set_spec else {}),
        }
        harvested = {}
        for record in sickle.ListRecords(**args):
            title = None if record.header.deleted else record.metadata["title"][0]
            harvested[record.header.identifier] = (record.header.deleted, title)
        want = expected(set_spec)
        assert {k: v[0] for k, v in harvested.items()} == {k: v[0] for k, v in want.items()}
        assert {k: v[1] for k, v in harvested.items() if not v[0]} == {
            k: v[1] for k, v in want.items() if not v[0]
        }
        assert len(harvested) == (23 if set_spec is None else 9)

    headers = list(sickle.ListIdentifiers(metadataPrefix="marcxml", ignore_deleted=False))
    assert sorted(h.identifier for h in headers) == sorted(expected())
    first = repository[0]
    record = sickle.GetRecord(identifier=ident(first.pk), metadataPrefix="oai_dc")
    assert record.metadata["title"] == [first.metadata["title"]]
    for prefix in ("oai_datacite", "datacite", "marcxml"):  # the other formats page through too
        assert len(list(sickle.ListRecords(metadataPrefix=prefix, ignore_deleted=True))) == 21
    # OpenAIRE Literature v4: every live record, with its title, over five pages
    openaire = {
        r.header.identifier: r.xml.findtext(f".//{{{OAIRE_TITLE}}}title")
        for r in sickle.ListRecords(metadataPrefix="oai_openaire", ignore_deleted=False)
        if not r.header.deleted
    }
    assert openaire == {k: title for k, (deleted, title) in expected().items() if not deleted}
    assert len(openaire) == 21


def test_pyoai_client_harvests_everything_and_a_set_with_post(repository, live_server):
    registry = PYOAI.metadata.MetadataRegistry()
    registry.registerReader("oai_dc", PYOAI.metadata.oai_dc_reader)
    registry.registerReader(
        "oai_openaire",
        PYOAI.metadata.MetadataReader(
            fields={
                "title": ("textList", "oaire:resource/datacite:titles/datacite:title/text()"),
                "rights": ("textList", "oaire:resource/datacite:rights/@rightsURI"),
            },
            namespaces={"oaire": "http://namespace.openaire.eu/schema/oaire/", "datacite": OAIRE_TITLE},
        ),
    )
    client = PYOAI.client.Client(f"{live_server.url}/oai2d", registry)
    assert client._force_http_get is False  # it POSTs

    identify = client.identify()
    assert identify.baseURL() == f"{live_server.url}/oai2d"
    assert identify.granularity() == "YYYY-MM-DDThh:mm:ssZ"
    client.updateGranularity()
    assert [prefix for prefix, _schema, _ns in client.listMetadataFormats()] == [
        "oai_dc",
        "oai_datacite",
        "oai_openaire",
        "datacite",
        "marcxml",
    ]
    assert [spec for spec, _name, _description in client.listSets()] == [
        "openaire",
        "openaire_data",
        "user-stockholm-ai",
    ]

    for set_spec in (None, "user-stockholm-ai"):
        args = {"metadataPrefix": "oai_dc", **({"set": set_spec} if set_spec else {})}
        harvested = {}
        for header, metadata, _about in client.listRecords(**args):
            title = None if header.isDeleted() else metadata.getField("title")[0]
            harvested[header.identifier()] = (header.isDeleted(), title)
        want = expected(set_spec)
        assert harvested == {k: (deleted, None if deleted else title) for k, (deleted, title) in want.items()}

    # OpenAIRE Literature v4: a complete paged harvest, every live record with its title and COAR right
    openaire = {
        header.identifier(): (metadata.getField("title"), metadata.getField("rights"))
        for header, metadata, _about in client.listRecords(metadataPrefix="oai_openaire")
        if not header.isDeleted()
    }
    open_access = ["http://purl.org/coar/access_right/c_abf2"]
    assert openaire == {
        k: ([title], open_access) for k, (deleted, title) in expected().items() if not deleted
    }

    identifiers = [h.identifier() for h in client.listIdentifiers(metadataPrefix="datacite")]
    assert sorted(identifiers) == sorted(expected())
    header, metadata, _ = client.getRecord(identifier=ident(repository[1].pk), metadataPrefix="oai_dc")
    assert metadata.getField("title") == [repository[1].metadata["title"]]
    assert header.setSpec() == ["user-stockholm-ai", "openaire_data"]
    with pytest.raises(PYOAI.error.IdDoesNotExistError):
        client.getRecord(identifier=ident(999999), metadataPrefix="oai_dc")
    with pytest.raises(PYOAI.error.CannotDisseminateFormatError):
        list(client.listRecords(metadataPrefix="nope"))
