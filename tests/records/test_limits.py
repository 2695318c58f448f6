"""Bounded input (issue #10): every array and string of the record schema has a cap, a deposit over a
cap is refused with a field error and nothing is stored, metadata and JSON bodies nest boundedly."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from records import services
from records.models import Record
from records.validation import MAX_METADATA_DEPTH, SCHEMA_PATH, load_schema, validate_metadata
from tests.records.conftest import make_metadata
from tests.records.test_api import LIST, api_for

pytestmark = pytest.mark.django_db


def _unbounded(node, path="$"):
    """Paths of arrays without maxItems and strings without maxLength (enums are bounded)."""
    found = []
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "array" and "maxItems" not in node:
            found.append(path)
        if kind == "string" and "maxLength" not in node and "enum" not in node:
            found.append(path)
        for key, value in node.items():
            found += _unbounded(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _unbounded(value, f"{path}[{index}]")
    return found


def test_every_array_and_string_of_the_schema_is_bounded():
    assert _unbounded(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))) == []
    assert _unbounded(load_schema()) == []


def test_the_caps_allow_a_large_collaboration():
    schema = load_schema()
    assert schema["properties"]["creators"]["maxItems"] >= 5000
    assert schema["properties"]["contributors"]["maxItems"] >= 100


def people(count: int) -> list[dict]:
    return [{"name": f"Person {i:06d}"} for i in range(count)]


def test_a_record_at_the_creator_cap_is_valid():
    cap = load_schema()["properties"]["creators"]["maxItems"]
    assert validate_metadata(make_metadata(creators=people(cap))) == []


def test_100000_creators_are_refused_through_the_api_with_a_field_error(depositor):
    writer = api_for(depositor, ["deposit:write", "deposit:actions"])
    response = writer.post(LIST, {"metadata": make_metadata(creators=people(100_000))}, format="json")
    assert response.status_code == 400
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert "At most 5,000" in errors["$.creators"]["message"], errors
    assert errors["$.creators"]["code"] == "max_items"
    assert not Record.objects.exists()


def test_too_many_creators_are_refused_by_the_web_form_and_nothing_is_stored(client_for, depositor):
    from tests.records.test_deposit_views import FORM

    data = {k: v for k, v in FORM.items() if not k.startswith("creators-")}
    count = 5001
    for i in range(count):
        data[f"creators-{i}-type"] = "personal"
        data[f"creators-{i}-family_name"] = f"Person{i}"
        data[f"creators-{i}-given_name"] = "A"
    response = client_for(depositor).post(reverse("records:new_upload"), data)
    assert response.status_code == 200
    assert "At most 5,000" in response.content.decode()
    assert not Record.objects.exists()


def test_too_many_creators_never_reach_an_existing_draft(depositor, valid_metadata):
    record = services.create_draft(depositor, valid_metadata)
    with pytest.raises(services.InvalidMetadata) as caught:
        services.update_metadata(record, depositor, make_metadata(creators=people(5001)), keep_invalid=True)
    assert caught.value.errors[0].code == "max_items"
    record.refresh_from_db()
    assert len(record.metadata["creators"]) == 2


def deep(levels: int):
    value: object = "x"
    for _ in range(levels):
        value = [value]
    return value


def test_metadata_nested_490_deep_is_refused_by_the_services(depositor):
    for keep_invalid in (False, True):
        with pytest.raises(services.InvalidMetadata) as caught:
            services.create_draft(depositor, make_metadata(keywords=[deep(490)]), keep_invalid=keep_invalid)
        assert caught.value.errors[0].code == "too_deep"
        assert str(MAX_METADATA_DEPTH) in caught.value.errors[0].message
    assert not Record.objects.exists()


def test_metadata_nested_5000_deep_is_a_field_error_not_a_crash():
    errors = validate_metadata(make_metadata(notes=deep(5000)))
    assert [e.code for e in errors] == ["too_deep"]


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_a_json_body_nested_too_deep_is_400_naming_the_problem(depositor, depth):
    writer = api_for(depositor, ["deposit:write"])
    body = '{"metadata": ' + "[" * depth + "]" * depth + "}"
    response = writer.post(LIST, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["message"]
    assert not Record.objects.exists()


def test_brackets_inside_strings_do_not_count_as_nesting(depositor, valid_metadata):
    writer = api_for(depositor, ["deposit:write"])
    valid_metadata["notes"] = "[" * 2000 + '\\"{' * 500
    response = writer.post(LIST, json.dumps({"metadata": valid_metadata}), content_type="application/json")
    assert response.status_code == 201, response.content[:300]


def test_a_100000_creator_web_form_is_a_400_naming_the_limit_and_nothing_is_stored(client_for, depositor):
    from tests.records.test_deposit_views import FORM

    data = {k: v for k, v in FORM.items() if not k.startswith("creators-")}
    data.update({f"creators-{i}-family_name": f"P{i}" for i in range(100_000)})
    response = client_for(depositor).post(reverse("records:new_upload"), data)
    assert response.status_code == 400
    assert "more than 60,000 fields" in response.content.decode()
    assert not Record.objects.exists()
