"""English and Swedish are both first-class: complete, compiled catalogs and Swedish pages."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "sv" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
SOURCE_DIRS = [
    "repository",
    "accounts",
    "records",
    "communities",
    "curation",
    "oaipmh",
    "storage",
    "previews",
    "archive",
    "stats",
    "aitools",
    "staff",
    "zenodo",
    "mail",
    "audit",
    "templates",
]


def swedish(client):
    response = client.post("/i18n/setlang/", {"language": "sv", "next": "/"})
    assert response.status_code == 302
    return client


def test_home_page_in_swedish(client, community):
    body = swedish(client).get("/").content.decode()
    assert 'lang="sv"' in body
    assert "Dela och bevara din forskning" in body and "Share and preserve your research" not in body
    assert "Gemenskaper" in body and ">Communities<" not in body


def test_login_page_and_form_error_in_swedish(client, db):
    swedish(client)
    body = client.get("/accounts/login/").content.decode()
    assert "Logga in" in body and "Log in" not in body
    body = client.post("/accounts/login/", {"username": "", "password": ""}).content.decode()
    assert "Det här fältet är obligatoriskt." in body
    assert "This field is required." not in body


def test_swedish_catalog_has_no_empty_or_fuzzy_entries():
    catalog = polib.pofile(str(PO))
    assert len(catalog) > 50
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]
    empty = [entry.msgid for entry in catalog.untranslated_entries()]
    assert fuzzy == [], f"fuzzy Swedish translations: {fuzzy[:10]}"
    assert empty == [], f"empty Swedish translations: {empty[:10]}"


def test_compiled_catalog_matches_the_po_file():
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.mofile(str(MO))}
    for entry in polib.pofile(str(PO)).translated_entries():
        assert compiled.get((entry.msgctxt, entry.msgid)) == (entry.msgstr or entry.msgstr_plural), (
            f"{MO.name} is out of date for {entry.msgid!r}: run `make messages`"
        )


def test_every_translatable_string_is_in_the_catalog(tmp_path):
    """Extract the strings again from a copy of the sources: nothing may be missing from django.po."""
    assert shutil.which("xgettext"), "GNU gettext is installed by `make test` (scripts/test-deps.sh)"
    for name in SOURCE_DIRS:
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "migrations")
        )
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    (tmp_path / "locale").mkdir()
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "makemessages", "-l", "sv", "-v0", "--no-location"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "repository.settings",
            "PYTHONPATH": str(ROOT),
        },
    )
    assert result.returncode == 0, result.stderr
    extracted = polib.pofile(str(tmp_path / "locale" / "sv" / "LC_MESSAGES" / "django.po"))
    known = {(e.msgctxt, e.msgid) for e in polib.pofile(str(PO))}
    missing = sorted(e.msgid for e in extracted if (e.msgctxt, e.msgid) not in known)
    assert missing == [], (
        f"{len(missing)} strings are not in the Swedish catalog (run `make messages`): {missing[:10]}"
    )


@pytest.mark.browser
def test_language_switcher_in_the_browser(page, live_server, community):
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Share and preserve your research"
    page.select_option("#lang-select", "sv")
    page.click(".lang-form button")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Dela och bevara din forskning"
    assert page.locator("html").get_attribute("lang") == "sv"
