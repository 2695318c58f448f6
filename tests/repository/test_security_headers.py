"""Security headers (issue #10): a Content-Security-Policy with a per-request nonce on HTML pages,
Referrer-Policy, X-Content-Type-Options and Permissions-Policy on every answer."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse


def nonce_of(response) -> str:
    match = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert match, response["Content-Security-Policy"]
    return match.group(1)


@pytest.mark.django_db
def test_html_pages_have_a_strict_policy_with_a_fresh_nonce(client):
    first, second = client.get("/"), client.get("/")
    policy = first["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy and "unsafe-inline' " not in policy.split("style-src-attr")[0]
    assert "'unsafe-eval'" not in policy
    assert nonce_of(first) != nonce_of(second)
    for name, value in (
        ("Referrer-Policy", "same-origin"),
        ("X-Content-Type-Options", "nosniff"),
    ):
        assert first[name] == value
    assert "camera=()" in first["Permissions-Policy"]


def test_every_script_on_the_deposit_page_carries_the_nonce(client_for, depositor):
    response = client_for(depositor).get(reverse("records:new_upload"))
    body = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", body)
    assert scripts
    for tag in scripts:
        if 'type="application/ld+json"' in tag:
            continue  # a data block, never executed
        assert f'nonce="{nonce_of(response)}"' in tag, tag


@pytest.mark.django_db
def test_no_template_has_an_inline_script_or_event_handler():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or "ld+json" in tag, (path, tag)
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert "javascript:" not in text, path


@pytest.mark.django_db
def test_api_docs_have_their_own_policy_and_no_inline_script(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for tag in re.findall(r"<script\b[^>]*>", response.content.decode()):
        assert "src=" in tag, tag
    assert client.options("/api/docs").status_code == 405


@pytest.mark.django_db
def test_json_answers_carry_the_other_headers(client):
    response = client.get("/api/v1/records")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Permissions-Policy" in response
