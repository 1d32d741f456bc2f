"""`token_refresh` maps each way simplejwt refuses a refresh token to the one 401 `token_invalid` answer, and lets
anything else (a bug, a database outage) surface instead of passing it off as a bad token."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from cms.core.exceptions import ApplicationError
from tests.accounts.factories import UserFactory

REFRESH = "/api/v1/auth/refresh/"


def _refresh(client: APIClient, token: str):
    return client.post(REFRESH, {"refresh": token}, format="json")


def _assert_token_invalid(response):
    assert response.status_code == 401, response.content
    body = response.json()
    assert body == {
        "code": "token_invalid",
        "message": "Token is invalid, expired or revoked.",
        "errors": [{"field": "refresh", "code": "token_invalid", "message": "Token is invalid, expired or revoked."}],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["garbage", "a.b.c"])
def test_a_malformed_refresh_token_is_401_token_invalid(api_client, token):
    _assert_token_invalid(_refresh(api_client, token))


@pytest.mark.django_db
def test_the_refresh_token_of_a_deleted_user_is_401_token_invalid(api_client):
    user = UserFactory()
    token = str(RefreshToken.for_user(user))
    user.delete()
    _assert_token_invalid(_refresh(api_client, token))


@pytest.mark.django_db
def test_the_refresh_token_of_an_inactive_user_is_401_token_invalid(api_client):
    user = UserFactory()
    token = str(RefreshToken.for_user(user))
    user.is_active = False
    user.save(update_fields=["is_active"])
    _assert_token_invalid(_refresh(api_client, token))


@pytest.mark.django_db
def test_a_valid_refresh_token_still_rotates(api_client):
    token = str(RefreshToken.for_user(UserFactory()))
    response = _refresh(api_client, token)
    assert response.status_code == 200
    assert set(response.json()) >= {"access", "refresh"}
    _assert_token_invalid(_refresh(api_client, token))  # blacklisted by the rotation


@pytest.mark.django_db
def test_an_unexpected_error_is_not_disguised_as_a_bad_token(monkeypatch):
    token = str(RefreshToken.for_user(UserFactory()))

    def broken(self, attrs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(TokenRefreshSerializer, "validate", broken)
    with pytest.raises(RuntimeError):
        services.token_refresh(refresh=token)


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["garbage", ""])  # the API refuses "" earlier (400 blank); the service too
def test_token_refresh_raises_the_one_application_error(token):
    with pytest.raises(ApplicationError) as excinfo:
        services.token_refresh(refresh=token)
    assert excinfo.value.code == "token_invalid"
    assert excinfo.value.status_code == 401
