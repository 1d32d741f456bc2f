from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.throttling import LoginRateThrottle
from tests.accounts.factories import UserFactory
from tests.accounts.helpers import NEW_PASSWORD, PASSWORD, token_from

User = get_user_model()

ERRORS = "errors { field code message }"
LOGIN = f"""mutation($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{
    access refresh retryAfter {ERRORS}
    user {{ email displayName emailVerified isStaff subscription {{ status }} meter {{ readerKind limit used }} }}
  }}
}}"""
ME = "{ me { email displayName newsletter notifyReplies pendingEmail emailVerified isStaff meter { readerKind } } }"


def _login(gql, email, password=PASSWORD, **extra):
    return gql(LOGIN, {"email": email, "password": password}, **extra).json_body["data"]["login"]


def _bearer(access):
    return {"Authorization": f"Bearer {access}"}


@pytest.mark.django_db
def test_register_answers_the_same_for_new_and_existing_addresses(
    graphql_client, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="taken@example.com")
    query = f"""mutation($email: String!) {{
      register(email: $email, password: "a-long-enough-passphrase", displayName: "G") {{ accepted message {ERRORS} }}
    }}"""
    with django_capture_on_commit_callbacks(execute=True):
        fresh = graphql_client(query, {"email": "fresh@example.com"})
        taken = graphql_client(query, {"email": "taken@example.com"})
    assert fresh.status_code == taken.status_code == 200
    assert fresh.json_body == taken.json_body
    assert fresh.json_body["data"]["register"]["accepted"] is True
    assert User.objects.filter(email="fresh@example.com").exists()
    assert sorted(m.to[0] for m in mailoutbox) == ["fresh@example.com", "taken@example.com"]


@pytest.mark.django_db
def test_register_rejects_weak_password_with_error_payload(graphql_client):
    query = f"""mutation {{ register(email: "x@example.com", password: "short") {{ accepted {ERRORS} }} }}"""
    payload = graphql_client(query).json_body["data"]["register"]
    assert payload["accepted"] is None
    assert payload["errors"][0]["field"] == "password"
    assert payload["errors"][0]["code"] == "password_invalid"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_verify_email_is_single_use(graphql_client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        graphql_client(
            'mutation { register(email: "v@example.com", password: "a-long-enough-passphrase") { accepted } }'
        )
    token = token_from(mailoutbox[0].body)
    query = f"mutation($t: String!) {{ verifyEmail(token: $t) {{ verified {ERRORS} }} }}"
    first = graphql_client(query, {"t": token}).json_body["data"]["verifyEmail"]
    second = graphql_client(query, {"t": token}).json_body["data"]["verifyEmail"]
    assert first == {"verified": True, "errors": []}
    assert second["verified"] is None
    assert second["errors"][0]["code"] == "token_invalid"


@pytest.mark.django_db
def test_login_me_refresh_logout_end_to_end_with_bearer(graphql_client, reader):
    payload = _login(graphql_client, "reader@example.com")
    assert payload["errors"] == []
    assert payload["user"]["email"] == "reader@example.com"
    assert payload["user"]["meter"]["readerKind"] == "registered"
    # anonymous: me is null; Bearer: me is the reader
    assert graphql_client(ME).json_body["data"]["me"] is None
    me = graphql_client(ME, headers=_bearer(payload["access"]))
    assert me.json_body["data"]["me"]["email"] == "reader@example.com"
    assert me["Cache-Control"].startswith("private")
    # refresh rotates; the old refresh token is dead
    refresh_q = f"mutation($r: String!) {{ refreshToken(refresh: $r) {{ access refresh {ERRORS} }} }}"
    rotated = graphql_client(refresh_q, {"r": payload["refresh"]}).json_body["data"]["refreshToken"]
    assert rotated["errors"] == [] and rotated["refresh"] != payload["refresh"]
    reused = graphql_client(refresh_q, {"r": payload["refresh"]}).json_body["data"]["refreshToken"]
    assert reused["access"] is None
    assert reused["errors"][0]["code"] == "token_invalid"
    # logout blacklists the current refresh token
    logout_q = f"mutation($r: String!) {{ logout(refresh: $r) {{ ok {ERRORS} }} }}"
    assert graphql_client(logout_q, {"r": rotated["refresh"]}).json_body["data"]["logout"]["ok"] is True
    after = graphql_client(refresh_q, {"r": rotated["refresh"]}).json_body["data"]["refreshToken"]
    assert after["errors"][0]["code"] == "token_invalid"


@pytest.mark.django_db
def test_bad_bearer_tokens_are_refused(graphql_client, reader):
    access = _login(graphql_client, "reader@example.com")["access"]
    import jwt

    claims = jwt.decode(access, options={"verify_signature": False})
    none_header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    body = access.split(".")[1]
    for token in (f"{none_header}.{body}.", access[:-3] + "abc", "garbage"):
        response = graphql_client(ME, headers=_bearer(token))
        assert response.status_code == 401
        assert response.json_body["errors"][0]["extensions"]["code"] == "unauthenticated"
    assert claims["user_id"]
    with time_machine.travel(timezone.now() + settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] + timedelta(seconds=5)):
        assert graphql_client(ME, headers=_bearer(access)).status_code == 401


@pytest.mark.django_db
def test_cookie_session_mutations_need_the_csrf_token(reader):
    from rest_framework.test import APIClient

    from tests.conftest import GraphQLClient

    gql = GraphQLClient(APIClient(enforce_csrf_checks=True))
    gql.client.force_login(reader)
    query = 'mutation { updateProfile(displayName: "CSRF") { errors { code } } }'
    assert gql(query).status_code == 403
    reader.refresh_from_db()
    assert reader.display_name != "CSRF"
    assert gql(ME).json_body["data"]["me"]["email"] == "reader@example.com"  # queries are fine


@pytest.mark.django_db
def test_login_failures_lock_the_account_with_retry_after(graphql_client, reader):
    answers = [_login(graphql_client, "reader@example.com", "wrong") for _ in range(5)]
    assert [a["errors"][0]["code"] for a in answers] == ["invalid_credentials"] * 4 + ["login_locked"]
    right = _login(graphql_client, "reader@example.com")
    assert right["access"] is None
    assert right["errors"][0]["code"] == "login_locked"
    assert 0 < right["retryAfter"] <= 900


@pytest.mark.django_db
def test_password_reset_flow_and_single_use(graphql_client, reader, mailoutbox, django_capture_on_commit_callbacks):
    request_q = f"mutation($e: String!) {{ requestPasswordReset(email: $e) {{ accepted message {ERRORS} }} }}"
    with django_capture_on_commit_callbacks(execute=True):
        known = graphql_client(request_q, {"e": "reader@example.com"}).json_body
        unknown = graphql_client(request_q, {"e": "ghost@example.com"}).json_body
    assert known == unknown
    assert len(mailoutbox) == 1
    uid, token = token_from(mailoutbox[0].body, "uid"), token_from(mailoutbox[0].body, "token")
    reset_q = f"""mutation($u: String!, $t: String!, $p: String!) {{
      resetPassword(uid: $u, token: $t, newPassword: $p) {{ ok {ERRORS} }}
    }}"""
    first = graphql_client(reset_q, {"u": uid, "t": token, "p": NEW_PASSWORD}).json_body["data"]["resetPassword"]
    assert first == {"ok": True, "errors": []}
    again = graphql_client(reset_q, {"u": uid, "t": token, "p": "another-passphrase-99"}).json_body
    assert again["data"]["resetPassword"]["errors"][0]["code"] == "token_invalid"
    assert _login(graphql_client, "reader@example.com", NEW_PASSWORD)["errors"] == []


@pytest.mark.django_db
def test_update_profile_needs_login_and_cannot_escalate(graphql_client, reader):
    query = f"""mutation {{ updateProfile(displayName: "Neo", newsletter: true, notifyReplies: false) {{
      user {{ displayName newsletter notifyReplies isStaff }} {ERRORS} }} }}"""
    anonymous = graphql_client(query).json_body["data"]["updateProfile"]
    assert anonymous["user"] is None
    assert anonymous["errors"][0]["code"] == "unauthenticated"
    access = _login(graphql_client, "reader@example.com")["access"]
    payload = graphql_client(query, headers=_bearer(access)).json_body["data"]["updateProfile"]
    assert payload["user"] == {"displayName": "Neo", "newsletter": True, "notifyReplies": False, "isStaff": False}
    # there is no argument for staff status: the schema refuses it
    escalate = graphql_client("mutation { updateProfile(isStaff: true) { errors { code } } }", headers=_bearer(access))
    assert escalate.status_code == 400
    reader.refresh_from_db()
    assert reader.is_staff is False


@pytest.mark.django_db
def test_update_profile_email_change_needs_password(graphql_client, reader):
    access = _login(graphql_client, "reader@example.com")["access"]
    query = f"""mutation($p: String) {{ updateProfile(email: "new@example.com", currentPassword: $p) {{
      user {{ email pendingEmail }} {ERRORS} }} }}"""
    refused = graphql_client(query, {"p": "wrong"}, headers=_bearer(access)).json_body["data"]["updateProfile"]
    assert refused["errors"][0] == {
        "field": "currentPassword",
        "code": "password_incorrect",
        "message": "Your current password is needed to change the email address.",
    }
    ok = graphql_client(query, {"p": PASSWORD}, headers=_bearer(access)).json_body["data"]["updateProfile"]
    assert ok["user"] == {"email": "reader@example.com", "pendingEmail": "new@example.com"}


@pytest.mark.django_db
def test_me_shows_subscription_for_a_subscriber(graphql_client, subscriber):
    access = _login(graphql_client, "subscriber@example.com")["access"]
    query = "{ me { subscription { status entitled planDisplay } meter { readerKind limit } } }"
    me = graphql_client(query, headers=_bearer(access)).json_body["data"]["me"]
    assert me == {
        "subscription": {"status": "active", "entitled": True, "planDisplay": "$0.50/week"},
        "meter": {"readerKind": "subscriber", "limit": None},
    }


@pytest.mark.django_db
def test_delete_account_needs_password(graphql_client, reader):
    access = _login(graphql_client, "reader@example.com")["access"]
    query = f"mutation($p: String!) {{ deleteAccount(password: $p) {{ ok {ERRORS} }} }}"
    wrong = graphql_client(query, {"p": "nope"}, headers=_bearer(access)).json_body["data"]["deleteAccount"]
    assert wrong["errors"][0]["code"] == "password_incorrect"
    ok = graphql_client(query, {"p": PASSWORD}, headers=_bearer(access)).json_body["data"]["deleteAccount"]
    assert ok == {"ok": True, "errors": []}
    assert not User.objects.filter(pk=reader.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mutation",
    [
        'register(email: "new@example.com", password: "a-long-enough-passphrase")',
        'login(email: "reader@example.com", password: "not-the-password")',
        'requestPasswordReset(email: "reader@example.com")',
        'resetPassword(uid: "x", token: "y", newPassword: "a-long-enough-passphrase")',
    ],
)
def test_sign_in_mutations_are_throttled_per_client_address(graphql_client, reader, monkeypatch, mutation):
    # DRF binds the rates to the throttle class at import time (the register and reset throttles inherit them)
    rates = {**LoginRateThrottle.THROTTLE_RATES, "login": "1/min", "register": "1/min"}
    monkeypatch.setattr(LoginRateThrottle, "THROTTLE_RATES", rates)
    name = mutation.split("(")[0]
    query = f"mutation {{ {mutation} {{ errors {{ field code }} }} }}"
    first, second = (graphql_client(query).json_body["data"][name]["errors"] for _ in range(2))
    assert {"field": None, "code": "throttled"} not in first
    assert second == [{"field": None, "code": "throttled"}]
