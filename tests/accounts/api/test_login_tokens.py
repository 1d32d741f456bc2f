import json
from datetime import timedelta

import jwt
import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from tests.accounts.helpers import PASSWORD

LOGIN = "/api/v1/auth/login/"
REFRESH = "/api/v1/auth/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/me/"


def _login(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN, {"email": email, "password": password, **extra}, format="json")


def _bearer(access):
    return {"Authorization": f"Bearer {access}"}


@pytest.mark.django_db
def test_login_returns_jwt_pair_that_authenticates_me(api_client, reader):
    response = _login(api_client, "READER@example.com")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["email"] == "reader@example.com"
    assert "sessionid" not in response.cookies
    me = APIClient().get(ME, headers=_bearer(body["access"]))
    assert me.status_code == 200
    assert me.json()["email"] == "reader@example.com"
    assert me["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_login_with_wrong_password_or_unknown_email_is_the_same_401(api_client, reader):
    wrong = _login(api_client, "reader@example.com", "wrong-password-here")
    unknown = _login(api_client, "nobody@example.com", "wrong-password-here")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"


@pytest.mark.django_db
def test_inactive_account_cannot_log_in(api_client, reader):
    reader.is_active = False
    reader.save()
    assert _login(api_client, "reader@example.com").status_code == 401


@pytest.mark.django_db
def test_me_requires_authentication(api_client):
    assert api_client.get(ME).status_code == 401


@pytest.mark.django_db
def test_expired_access_token_is_refused(api_client, reader):
    access = _login(api_client, "reader@example.com").json()["access"]
    with time_machine.travel(timezone.now() + settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] + timedelta(seconds=5)):
        response = APIClient().get(ME, headers=_bearer(access))
    assert response.status_code == 401


@pytest.mark.django_db
def test_tampered_access_token_is_refused(api_client, reader, subscriber):
    access = _login(api_client, "reader@example.com").json()["access"]
    claims = jwt.decode(access, options={"verify_signature": False})
    claims["user_id"] = str(subscriber.pk)
    header, _, signature = access.split(".")
    forged_payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    forged = f"{header}.{forged_payload}.{signature}"
    assert APIClient().get(ME, headers=_bearer(forged)).status_code == 401
    resigned = jwt.encode(claims, "not-the-signing-key-but-long-enough-for-hs256", algorithm="HS256")
    assert APIClient().get(ME, headers=_bearer(resigned)).status_code == 401


@pytest.mark.django_db
def test_alg_none_token_is_refused(api_client, reader):
    access = _login(api_client, "reader@example.com").json()["access"]
    claims = jwt.decode(access, options={"verify_signature": False})
    header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    for unsigned in (f"{header}.{payload}.", f"{header}.{payload}"):
        assert APIClient().get(ME, headers=_bearer(unsigned)).status_code == 401


@pytest.mark.django_db
def test_refresh_token_cannot_be_used_as_access_token(api_client, reader):
    refresh = _login(api_client, "reader@example.com").json()["refresh"]
    assert APIClient().get(ME, headers=_bearer(refresh)).status_code == 401


@pytest.mark.django_db
def test_refresh_rotates_and_reusing_the_old_refresh_token_is_401(api_client, reader):
    first = _login(api_client, "reader@example.com").json()
    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert rotated.status_code == 200
    pair = rotated.json()
    assert pair["refresh"] != first["refresh"]
    assert APIClient().get(ME, headers=_bearer(pair["access"])).status_code == 200
    reused = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_invalid"
    assert api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 200


@pytest.mark.django_db
def test_refresh_with_garbage_or_access_token_is_401(api_client, reader):
    access = _login(api_client, "reader@example.com").json()["access"]
    assert api_client.post(REFRESH, {"refresh": "garbage"}, format="json").status_code == 401
    assert api_client.post(REFRESH, {"refresh": access}, format="json").status_code == 401
    assert api_client.post(REFRESH, {}, format="json").status_code == 400


@pytest.mark.django_db
def test_logout_blacklists_the_refresh_token(api_client, reader):
    pair = _login(api_client, "reader@example.com").json()
    response = api_client.post(LOGOUT, {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 204
    assert api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401


@pytest.mark.django_db
def test_session_login_sets_cookie_and_enforces_csrf(reader):
    client = APIClient(enforce_csrf_checks=True)
    # a session login needs the CSRF token first
    refused = _login(client, "reader@example.com", session=True)
    assert refused.status_code == 403
    csrf = client.get("/api/v1/auth/csrf/")
    token = csrf.json()["csrf_token"]
    assert client.cookies["csrftoken"].value
    response = client.post(
        LOGIN,
        {"email": "reader@example.com", "password": PASSWORD, "session": True},
        format="json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert client.cookies["sessionid"].value
    # the session authenticates safe requests
    assert client.get(ME).json()["email"] == "reader@example.com"
    # unsafe requests with the cookie but without the (rotated) CSRF token are refused
    no_csrf = client.patch(ME, {"display_name": "Hacked"}, format="json")
    assert no_csrf.status_code == 403
    reader.refresh_from_db()
    assert reader.display_name != "Hacked"
    fresh_token = client.cookies["csrftoken"].value
    ok = client.patch(ME, {"display_name": "Legit"}, format="json", headers={"X-CSRFToken": fresh_token})
    assert ok.status_code == 200
    # logout needs the token too, then ends the session
    assert client.post(LOGOUT, {}, format="json").status_code == 403
    assert client.post(LOGOUT, {}, format="json", headers={"X-CSRFToken": fresh_token}).status_code == 204
    assert client.get(ME).status_code in (401, 403)


@pytest.mark.django_db
def test_login_moves_anonymous_reads_to_the_account(api_client, reader):
    from paywall.models import MeterRead
    from paywall.readers import reader_token_issue
    from paywall.selectors import period_for
    from tests.articles.factories import ArticleFactory

    anon_id, token = reader_token_issue()
    article = ArticleFactory()
    period, _ = period_for(timezone.now())
    MeterRead.objects.create(reader_key=f"a:{anon_id}", period=period, article=article)
    response = api_client.post(
        LOGIN, {"email": "reader@example.com", "password": PASSWORD}, format="json", headers={"X-Reader-Token": token}
    )
    assert response.status_code == 200
    assert MeterRead.objects.filter(reader_key=f"u:{reader.pk}", article=article).exists()
    assert response.json()["user"]["meter"]["used"] == 1


def test_jwt_settings_rotate_and_blacklist():
    assert settings.SIMPLE_JWT["ROTATE_REFRESH_TOKENS"] is True
    assert settings.SIMPLE_JWT["BLACKLIST_AFTER_ROTATION"] is True
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] <= timedelta(minutes=30)


@pytest.mark.django_db
def test_logout_works_with_an_expired_access_token(api_client, reader):
    pair = _login(api_client, "reader@example.com").json()
    later = timezone.now() + settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] + timedelta(seconds=5)
    with time_machine.travel(later):
        response = APIClient().post(
            LOGOUT, {"refresh": pair["refresh"]}, format="json", headers=_bearer(pair["access"])
        )
        assert response.status_code == 204
        assert api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401
