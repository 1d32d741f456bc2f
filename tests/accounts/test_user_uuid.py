"""Every account has a public UUID, the apps' StoreKit appAccountToken: new accounts get one, the migration gives
one to each existing account (distinct), and migrating back and forth keeps the accounts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.accounts.factories import UserFactory


@pytest.mark.django_db
def test_the_profile_gives_the_accounts_uuid_on_rest_and_graphql(api_client, graphql_client, reader):
    api_client.force_authenticate(reader)
    assert api_client.get("/api/v1/me/").json()["uuid"] == str(reader.uuid)
    graphql_client.force_authenticate(reader)
    assert graphql_client("{ me { uuid } }").json()["data"]["me"]["uuid"] == str(reader.uuid)
    assert UserFactory().uuid != reader.uuid


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state(list(executor.loader.applied_migrations)).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_accounts_distinct_uuids_and_reverses():
    try:
        old = _migrate(("accounts", "0003_api_key_scopes"))
        User = old.get_model("accounts", "User")
        for n in range(3):
            User.objects.create(email=f"before-{n}@example.com", password="!")
        new = _migrate(("accounts", "0004_user_uuid"))
        uuids = list(new.get_model("accounts", "User").objects.values_list("uuid", flat=True))
        assert len(uuids) == 3 and None not in uuids and len(set(uuids)) == 3
        back = _migrate(("accounts", "0003_api_key_scopes"))
        assert back.get_model("accounts", "User").objects.count() == 3
    finally:
        _migrate(("accounts", "0004_user_uuid"))
