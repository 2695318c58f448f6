"""DOI providers: local DOIs resolved here; DataCite through its REST API, tested against recorded
request/response pairs (tests/records/recordings/) with mocked HTTP — never the live service."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import responses
from lxml import etree

from records import services
from records.doi import DataCiteProvider, DOIError, get_provider, site_slug

RECORDINGS = Path(__file__).resolve().parent / "recordings"
API = "https://api.test.datacite.org"
NS = {"d": "http://datacite.org/schema/kernel-4"}


def recording(name: str, record, **extra) -> dict:
    text = (RECORDINGS / f"{name}.json").read_text(encoding="utf-8")
    values = {
        "doi": record.doi,
        "doi_lower": record.doi.lower(),
        "suffix_lower": record.doi.split("/", 1)[1].lower(),
        "url": f"http://testserver.example/records/{record.pk}/",
        **extra,
    }
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return json.loads(text)


def mock(rsps, rec: dict, seen: list):
    def callback(request):
        seen.append(request)
        response = rec["response"]
        return response["status"], {"Content-Type": response["content_type"]}, json.dumps(response["body"])

    rsps.add_callback(rec["request"]["method"], API + rec["request"]["path"], callback=callback)


@pytest.fixture
def datacite(settings):
    settings.DOI_PROVIDER = "datacite"
    settings.DATACITE_URL = API
    settings.DATACITE_USERNAME = "DATACITE.TEST"
    settings.DATACITE_PASSWORD = "secret-password"
    settings.SITE_URL = "http://testserver.example"
    return settings


def sent_body(request) -> dict:
    return json.loads(request.body)


def test_local_doi_format(settings, published):
    settings.SITE_URL = "https://repo.example.org"
    assert site_slug() == "repo-example-org"
    assert get_provider().doi_for(published) == f"10.5072/repo-example-org.{published.pk}"


def test_publish_registers_the_doi_with_datacite_xml(
    datacite, depositor, valid_metadata, django_capture_on_commit_callbacks
):
    record = services.create_draft(depositor, valid_metadata)
    seen = []
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        # the DOI is fixed at publish; its recording is filled in once the id is known
        record.doi = f"10.5072/testserver-example.{record.pk}"
        mock(rsps, recording("datacite-register-201", record), seen)
        with django_capture_on_commit_callbacks(execute=True):
            services.publish(record, depositor)
    record.refresh_from_db()
    assert record.doi == f"10.5072/testserver-example.{record.pk}"
    assert len(seen) == 1
    request = seen[0]
    assert request.headers["Content-Type"] == "application/vnd.api+json"
    assert (
        request.headers["Authorization"]
        == "Basic " + base64.b64encode(b"DATACITE.TEST:secret-password").decode()
    )
    attributes = sent_body(request)["data"]["attributes"]
    assert attributes["event"] == "publish" and attributes["doi"] == record.doi
    assert attributes["url"] == f"http://testserver.example/records/{record.pk}/"
    xml = etree.fromstring(base64.b64decode(attributes["xml"]))
    assert xml.xpath("string(d:identifier)", namespaces=NS) == record.doi
    assert xml.xpath("string(d:titles/d:title)", namespaces=NS) == valid_metadata["title"]
    assert b"secret.contact@example.se" not in base64.b64decode(attributes["xml"])


def test_edit_and_withdrawal_update_the_doi_never_delete(
    datacite, depositor, valid_metadata, staff, django_capture_on_commit_callbacks
):
    record = services.create_draft(depositor, valid_metadata)
    record.doi = f"10.5072/testserver-example.{record.pk}"
    seen = []
    with responses.RequestsMock() as rsps:
        mock(rsps, recording("datacite-register-201", record), seen)
        mock(rsps, recording("datacite-update-200", record, state="findable"), seen)
        with django_capture_on_commit_callbacks(execute=True):
            services.publish(record, depositor)
        with django_capture_on_commit_callbacks(execute=True):
            services.open_edit(record, depositor)
            services.update_metadata(record, depositor, {**valid_metadata, "title": "Corrected title"})
            services.publish(record, depositor)
        with django_capture_on_commit_callbacks(execute=True):
            services.withdraw(record, staff, "Duplicate of another record")
        with django_capture_on_commit_callbacks(execute=True):
            services.reinstate(record, staff)
    assert [r.method for r in seen] == ["POST", "PUT", "PUT", "PUT"]
    assert all(r.method != "DELETE" for r in seen)
    edit, withdrawal, reinstatement = (sent_body(r)["data"]["attributes"] for r in seen[1:])
    assert b"Corrected title" in base64.b64decode(edit["xml"])
    assert edit["event"] == "publish"
    assert withdrawal["event"] == "hide" and withdrawal["url"].endswith(f"/records/{record.pk}/")
    assert reinstatement["event"] == "publish"


def test_lost_answer_is_recovered_by_an_update(datacite, published):
    published.doi = f"10.5072/testserver-example.{published.pk}"
    seen = []
    with responses.RequestsMock() as rsps:
        mock(rsps, recording("datacite-register-422-taken", published), seen)
        mock(rsps, recording("datacite-update-200", published, state="findable"), seen)
        get_provider().register(published)
    assert [r.method for r in seen] == ["POST", "PUT"]


def test_refusal_raises_a_doi_error_naming_the_problem(datacite, published):
    seen = []
    with responses.RequestsMock() as rsps:
        mock(rsps, recording("datacite-401", published), seen)
        with pytest.raises(DOIError, match=r"401.*Bad credentials"):
            get_provider().register(published)


def test_register_task_retries_on_failure(datacite, published):
    from records.tasks import register_doi

    assert register_doi.autoretry_for == (DOIError,)
    assert register_doi.max_retries >= 5


def test_unreachable_datacite_is_a_doi_error(datacite, published):
    # no response registered: the connection is refused
    with responses.RequestsMock(), pytest.raises(DOIError, match="unreachable"):
        DataCiteProvider(API, "u", "p").update(published)


def test_external_doi_is_never_sent_to_datacite(
    datacite, depositor, valid_metadata, django_capture_on_commit_callbacks
):
    record = services.create_draft(depositor, valid_metadata, external_doi="10.1000/elsewhere.1")
    with (
        responses.RequestsMock(assert_all_requests_are_fired=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.publish(record, depositor)
    record.refresh_from_db()
    assert record.doi == "10.1000/elsewhere.1"
