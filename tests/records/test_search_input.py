"""The search page never fails on odd input: bad page numbers, NUL bytes, long queries, unknown filters."""

from __future__ import annotations

import pytest
from django.urls import reverse

from records import services
from tests.records.conftest import make_metadata


@pytest.fixture
def one(depositor):
    return services.publish(services.create_draft(depositor, make_metadata()), depositor)


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "-1"},
        {"page": "0"},
        {"page": "99999999999999999999999"},
        {"q": "\x00"},
        {"q": "speeches\x00"},
        {"q": "a" * 5000},
        {"q": " ".join(["word"] * 2000)},
        {"q": "a & b | !c :* <-> ( ) ' \" \\"},
        {"year": "abc"},
        {"year": "\x00"},
        {"year": "9" * 40},
        {"type": "\x00"},
        {"license": "x\x00y"},
        {"community": "\x00"},
        {"language": "z" * 1000},
        {"sort": "bogus"},
        {"sort": "\x00"},
    ],
)
def test_odd_input_is_never_a_server_error(client, one, params):
    response = client.get(reverse("records:search"), params)
    assert response.status_code == 200, params


@pytest.mark.parametrize(
    "raw", ["q=%ED%A0%80", "q=%FF%FE", "year=%C0", "q=%00%00&type=%00&page=%00", "page=1e3"]
)
def test_odd_bytes_in_the_query_string_are_never_a_server_error(client, one, raw):
    response = client.get(reverse("records:search") + "?" + raw)
    assert response.status_code == 200, raw


def test_nul_bytes_are_ignored_not_fatal(client, one):
    response = client.get(reverse("records:search"), {"q": "speeches\x00"})
    assert response.status_code == 200
    assert f'href="/records/{one.pk}/"' in response.content.decode()


@pytest.mark.parametrize("raw", ["q=%00", "page=abc", "year=%00&community=%00&type=%00", "q=" + "x" * 5000])
def test_odd_input_to_the_api_list_is_never_a_server_error(client, one, raw):
    response = client.get(reverse("records:api-list") + "?" + raw)
    assert response.status_code == 200, raw
