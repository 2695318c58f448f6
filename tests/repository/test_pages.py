import pytest


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


def test_policies_page_shows_the_seed_policy(client, db):
    response = client.get("/policies/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Fixity and authenticity" in body
    assert "MD5 checksum" in body
    assert 'href="/policies/"' in body  # footer link


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
