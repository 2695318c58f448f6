"""The identity migration: existing accounts that share an address (in any case) all survive."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_shared_addresses_stay_on_the_oldest_account_and_wait_as_pending_on_the_others():
    old = migrate([("accounts", "0001_initial")])
    User = old.get_model("accounts", "User")
    first = User.objects.create(username="first", email="Shared@example.org")
    second = User.objects.create(username="second", email="shared@EXAMPLE.org")
    alone = User.objects.create(username="alone", email="alone@example.org")
    try:
        new = migrate([("accounts", "0002_identity_and_token_expiry")])
        User = new.get_model("accounts", "User")
        rows = {u.username: (u.email, u.pending_email, u.email_verified) for u in User.objects.all()}
        assert rows["first"] == ("Shared@example.org", "", False)
        assert rows["second"] == ("", "shared@EXAMPLE.org", False)
        assert rows["alone"] == ("alone@example.org", "", False)
    finally:
        User.objects.filter(pk__in=[first.pk, second.pk, alone.pk]).delete()
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
