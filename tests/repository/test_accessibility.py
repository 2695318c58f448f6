"""axe-core (the engine behind Lighthouse's accessibility audit) on the pages people use most:
no serious or critical violations (labels, landmarks, contrast, names of links and buttons…)."""

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser

SEVERE = {"serious", "critical"}


def severe_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in SEVERE
    ]


@pytest.fixture
def published_record(depositor):
    from records import services

    metadata = {
        "resource_type": {"type": "dataset"},
        "title": "Traffic flows in Stockholm",
        "publication_date": "2024-03-01",
        "creators": [
            {"name": "Depositor, Erik", "affiliations": [{"name": "KTH Royal Institute of Technology"}]}
        ],
        "description": "<p>Hourly traffic counts.</p>",
        "access_right": "open",
        "license": "CC-BY-4.0",
        "keywords": ["traffic"],
    }
    record = services.create_draft(depositor, metadata)
    return services.publish(record, depositor, declaration_accepted=True)


def test_public_pages_have_no_severe_violations(page, live_server, community, published_record):
    problems = {}
    for path in [
        "/",
        "/communities/",
        f"/communities/{community.slug}/",
        "/search/?q=traffic",
        f"/records/{published_record.pk}/",
        "/accounts/login/",
        "/accounts/signup/",
        "/policies/",
    ]:
        page.goto(live_server.url + path)
        found = severe_violations(page)
        if found:
            problems[path] = found
    assert problems == {}


def test_depositor_and_curator_pages_have_no_severe_violations(
    login_page, live_server, depositor, curator, community
):
    problems = {}
    page = login_page(depositor)
    for path in ["/uploads/", "/uploads/new/", "/accounts/profile/", "/accounts/tokens/"]:
        page.goto(live_server.url + path)
        found = severe_violations(page)
        if found:
            problems[path] = found
    page.context.clear_cookies()
    page = login_page(curator)
    for path in [f"/communities/{community.slug}/curation/", "/inbox/"]:
        page.goto(live_server.url + path)
        found = severe_violations(page)
        if found:
            problems[path] = found
    assert problems == {}
