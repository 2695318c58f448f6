import pytest
from lxml import html


def test_home_page_lists_communities(client, community):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert community.title in body
    assert 'href="/communities/"' in body  # header link to an existing page
    assert '<main id="main"' in body and 'role="banner"' in body and 'role="contentinfo"' in body


def test_community_page_shows_seed_fields(client, community, curator):
    response = client.get(f"/communities/{community.slug}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert community.title in body
    assert "Curated by" in body and curator.display_name in body
    assert "Curation policy" in body and "affiliation with a university" in body


def test_unknown_community_is_404_with_site_template(client, db):
    response = client.get("/communities/nope/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_admin_redirects_to_login(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_policies_page_is_the_portals_own_policy(client, db):
    response = client.get("/policies/")
    assert response.status_code == 200
    body = response.content.decode()
    page = html.fromstring(body)
    assert [h.text_content() for h in page.xpath("//article//h2")] == [
        "Content",
        "Access and reuse",
        "Preservation",
        "Communities",
    ]
    assert "Fixity and authenticity" in body and "MD5 and SHA-256 checksums" in body
    assert 'href="/policies/"' in body  # footer link
    # none of the copied page's debris or promises this installation does not keep
    for debris in ("New upload", "Curated by", "Click the button", "Zenodo", "CERN", "Geneva", "tape"):
        assert debris not in body


def _policy(client, settings, locations, **extra):
    settings.STORAGE_LOCATIONS = locations
    for name, value in extra.items():
        setattr(settings, name, value)
    response = client.get("/policies/")
    assert response.status_code == 200
    page = html.fromstring(response.content.decode())
    return " ".join(page.get_element_by_id("policy-copies").text_content().split()), page


def test_policy_page_claims_as_many_copies_as_storage_locations(client, db, settings, tmp_path):
    one, page = _policy(client, settings, [("primary", f"file://{tmp_path}/a")], FIXITY_CYCLE_DAYS=30)
    assert "kept in one copy" in one and "“primary” (a disk of this server)" in one
    assert "a damaged copy is repaired" not in page.text_content()
    assert "at least once every 30 days" in " ".join(page.text_content().split())
    assert "no backups of its own" in page.get_element_by_id("policy-backups").text_content()
    two, page = _policy(
        client,
        settings,
        [("primary", f"file://{tmp_path}/a"), ("offsite", "s3://bucket/prefix")],
        FIXITY_CYCLE_DAYS=7,
        RECORD_QUOTA_BYTES=2 * 10**9,
        BACKUP_DESCRIPTION="The database is dumped nightly to the offsite bucket.",
    )
    assert "kept in 2 copies" in two and "“offsite” (S3 object storage)" in two
    text = " ".join(page.text_content().split())
    assert "at least once every 7 days" in text and "up to 2 GB" in text
    assert "dumped nightly" in page.get_element_by_id("policy-backups").text_content()


def test_policy_page_in_swedish_and_replaceable_by_the_operator(client, db, settings, tmp_path):
    settings.STORAGE_LOCATIONS = [("primary", f"file://{tmp_path}/a")]
    body = client.get("/policies/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Bevarande" in body and "varje fil finns i en kopia" in body
    override = tmp_path / "templates" / "repository"
    override.mkdir(parents=True)
    (override / "policies.html").write_text("{{ copies }} copy: our own policy")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates", *settings.TEMPLATES[0]["DIRS"]]}
    ]
    assert client.get("/policies/").content.decode() == "1 copy: our own policy"


def test_community_read_more_links_to_the_policy(client, community):
    community.page_content = "<p>About us.</p>"
    community.save()
    page = html.fromstring(client.get(community.get_absolute_url()).content.decode())
    assert page.xpath("//details[@id='read-more']//a[@href='/policies/']")


def test_unknown_url_renders_404_template(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "Traceback" not in response.content.decode()


@pytest.mark.urls("tests.repository.urls_error")
def test_server_error_renders_500_template_without_traceback(client, db):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Server error" in body and "Serverfel" in body
    assert "deliberate failure" not in body and "Traceback" not in body


def test_healthz_reports_database_and_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_is_503_when_the_broker_is_down(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    data = response.json()
    assert data["status"] == "error" and data["database"] == "ok" and data["broker"].startswith("error")


def test_api_docs_are_served_without_a_cdn(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    body = response.content.decode()
    assert "cdn.jsdelivr" not in body and "unpkg.com" not in body
    assert client.get("/api/schema").status_code == 200


def test_seed_demo_is_idempotent(db):
    from django.core.management import call_command

    from accounts.models import User
    from communities.models import Community

    call_command("seed_demo")
    call_command("seed_demo")
    assert sorted(User.objects.values_list("username", flat=True)) == ["admin", "curator", "depositor"]
    community = Community.objects.get(slug="stockholm-ai")
    assert community.created.year == 2020
    assert "Stockholm" in community.curation_policy
    assert community.is_curator(User.objects.get(username="curator"))
    assert User.objects.get(username="depositor").check_password("demo-password")
    assert User.objects.get(username="admin").is_staff


def test_the_sites_own_404_page_also_with_debug_on(client, db, settings):
    settings.DEBUG = True
    for url in ("/no/such/page/", "/records/999999/"):
        response = client.get(url)
        assert response.status_code == 404
        body = response.content.decode()
        assert "Page not found" in body and 'role="banner"' in body  # the site's page, with its header
        assert "DEBUG = True" not in body and "URLconf" not in body
    api = client.get("/api/v1/records/999999")
    assert api.status_code == 404 and api["Content-Type"].startswith("application/json")


def test_favicon(client, db):
    body = client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in body
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"
