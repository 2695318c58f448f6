"""Fixtures for the curation tests: published records built through records.services, like users build them."""

from __future__ import annotations

import pytest

STOCKHOLM_CREATOR = {
    "name": "Depositor, Erik",
    "affiliations": [{"name": "KTH Royal Institute of Technology"}],
}
OSLO_CREATOR = {"name": "Nordmann, Ola", "affiliations": [{"name": "University of Oslo"}]}


def metadata(**overrides) -> dict:
    data = {
        "resource_type": {"type": "publication", "subtype": "article"},
        "title": "Deep learning for protein folding in Stockholm",
        "publication_date": "2024-05-01",
        "creators": [STOCKHOLM_CREATOR],
        "description": "<p>We study how neural networks predict the structure of proteins.</p>",
        "languages": ["eng"],
        "access_right": "open",
        "license": "CC-BY-4.0",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def publish_record(owner, *, communities=None, files=None, **overrides):
    """Deposit and publish as the deposit form does (curation opens the requested inclusions)."""
    from curation.services import publish_record as publish
    from records import services
    from storage.services import store_bytes

    record = services.create_draft(owner, metadata(**overrides), communities=communities)
    for key, data in (files or {}).items():
        store_bytes(record.bucket, key, data, owner)
    return publish(record, owner, declaration_accepted=True)


@pytest.fixture
def make_record(db):
    return publish_record


@pytest.fixture
def owner_user(db):
    """A community owner (besides the fixture's curator)."""
    from accounts.models import User
    from communities.models import MemberRole
    from communities.services import set_member

    def make(community, username="owner"):
        user = User.objects.create_user(
            username=username, email=f"{username}@example.org", password="x-pass-12345"
        )
        set_member(None, community, user, MemberRole.OWNER)
        return user

    return make


@pytest.fixture
def other_community(db, staff):
    from communities.services import create_community

    return create_community(staff, slug="gothenburg-bio", title="Gothenburg Biology")


@pytest.fixture
def other_curator(db, other_community, staff):
    from accounts.models import User
    from communities.models import MemberRole
    from communities.services import set_member

    user = User.objects.create_user(
        username="othercurator", email="othercurator@example.org", password="x-pass-12345"
    )
    set_member(staff, other_community, user, MemberRole.CURATOR)
    return user


@pytest.fixture
def swedish_depositor(db):
    from accounts.models import User

    return User.objects.create_user(
        username="svensson",
        email="svensson@example.org",
        password="x-pass-12345",
        full_name="Sven Svensson",
        language="sv",
    )
