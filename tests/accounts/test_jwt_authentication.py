"""`accounts.backends.JWTAuthentication`: simplejwt's checks, with the user fetched by `user_get_by_id`.
The same user, the same refusals."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.selectors import user_get_by_id
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _values(user) -> dict:
    return {f.attname: getattr(user, f.attname) for f in user._meta.concrete_fields}


def _client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def test_the_lookup_builds_the_same_user_as_the_orm():
    user = UserFactory(display_name="Ann Reader")
    from django.contrib.auth import get_user_model

    loaded = user_get_by_id(user_id=user.pk)

    assert _values(loaded) == _values(get_user_model().objects.get(pk=user.pk))
    assert loaded._state.adding is False and loaded.is_authenticated
    assert user_get_by_id(user_id=str(user.pk)).pk == user.pk


@pytest.mark.parametrize("user_id", [None, "", "abc", "1 OR 1=1", 10**12, 10**30, -1, 0])
def test_an_id_that_is_not_an_account_is_none(user_id):
    UserFactory()
    assert user_get_by_id(user_id=user_id) is None


def test_a_valid_token_authenticates_over_rest_and_graphql():
    user = UserFactory(display_name="Ann Reader")
    client = _client_for(user)

    me = client.get("/api/v1/me/")
    graphql = client.post("/graphql/", {"query": "{ me { displayName } }"}, format="json")

    assert me.status_code == 200 and me.json()["display_name"] == "Ann Reader"
    assert graphql.status_code == 200 and graphql.json()["data"]["me"]["displayName"] == "Ann Reader"


def test_inactive_and_deleted_accounts_are_refused():
    inactive, deleted = UserFactory(is_active=False), UserFactory()
    inactive_client, deleted_client = _client_for(inactive), _client_for(deleted)
    deleted.delete()

    assert inactive_client.get("/api/v1/me/").status_code == 401
    assert deleted_client.get("/api/v1/me/").status_code == 401
