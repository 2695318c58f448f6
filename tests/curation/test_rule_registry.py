"""A policy check rule registered in one place (``curation.rules.register``) is run, stored and configurable."""

from __future__ import annotations

import pytest
from django import forms

from curation.models import CheckStatus
from curation.rules import (
    RULES,
    CheckResult,
    Rule,
    RuleSettingsForm,
    register,
    rule_config,
    run_checks,
    unregister,
)


class FakeRecord:
    def __init__(self, **metadata):
        self.metadata = metadata
        self.pk = None


class TitleLengthForm(RuleSettingsForm):
    enabled = forms.BooleanField(label="Check the title's length", required=False)
    max_words = forms.IntegerField(label="Longest title (words)", min_value=1)


class TitleLengthRule(Rule):
    key = "title_length"
    label = "Title length"
    defaults = {"max_words": 5}
    form_class = TitleLengthForm
    reasons = {
        "title_length.ok": "The title has %(words)s words.",
        "title_length.too_long": "The title has %(words)s words, more than %(max_words)s.",
    }

    def run(self, record, community, params):
        words = len(record.metadata.get("title", "").split())
        if words > params["max_words"]:
            return self.result(
                CheckStatus.FAIL, "title_length.too_long", words=words, max_words=params["max_words"]
            )
        return self.result(CheckStatus.PASS, "title_length.ok", words=words)


@pytest.fixture
def title_length():
    register(TitleLengthRule)
    yield RULES["title_length"]
    unregister("title_length")


def test_builtin_rules_in_their_order():
    assert list(RULES) == ["affiliation", "language", "access", "size"]


def test_a_key_is_registered_once():
    with pytest.raises(ValueError):
        register(type(RULES["size"]))


@pytest.mark.django_db
def test_a_registered_rule_runs_with_its_defaults_and_the_communitys_settings(community, title_length):
    assert list(RULES)[-1] == "title_length"
    community.check_rules = {key: {"enabled": False} for key in ("affiliation", "language", "access", "size")}
    assert rule_config(community)["title_length"] == {"enabled": True, "max_words": 5}
    [result] = run_checks(FakeRecord(title="One two three four five six"), community)
    assert (result.key, result.status, result.label) == ("title_length", "fail", "Title length")
    assert CheckResult.from_json(result.as_json()).reason == "The title has 6 words, more than 5."
    community.check_rules["title_length"] = {"max_words": 10}
    [result] = run_checks(FakeRecord(title="One two three four five six"), community)
    assert result.status == "pass" and result.reason == "The title has 6 words."


@pytest.mark.django_db
def test_a_registered_rule_has_its_settings_on_the_community_edit_page(
    client_for, community, owner_user, title_length
):
    c = client_for(owner_user(community))
    page = c.get(f"/communities/{community.slug}/edit/").content.decode()
    assert 'name="rules-title_length_enabled"' in page and 'name="rules-title_length_max_words"' in page
    assert "Longest title (words)" in page
    response = c.post(
        f"/communities/{community.slug}/edit/",
        {
            "c-title": community.title,
            "c-visibility": "public",
            "rules-affiliation_city": "Stockholm",
            "rules-language_languages": "eng",
            "rules-access_access_rights": ["open"],
            "rules-title_length_enabled": "on",
            "rules-title_length_max_words": "12",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    community.refresh_from_db()
    assert community.check_rules["title_length"] == {"enabled": True, "max_words": 12}
    assert community.check_rules["language"] == {"enabled": False, "languages": ["eng"]}
