import pytest
from rest_framework.test import APIClient

from tests.accounts.helpers import NEW_PASSWORD, PASSWORD, token_from

RESET = "/api/v1/auth/password-reset/"
CONFIRM = "/api/v1/auth/password-reset/confirm/"
LOGIN = "/api/v1/auth/login/"


def _request_reset(client, email, capture):
    with capture(execute=True):
        return client.post(RESET, {"email": email}, format="json")


@pytest.mark.django_db
def test_reset_answer_is_identical_for_known_and_unknown_addresses(
    api_client, reader, mailoutbox, django_capture_on_commit_callbacks
):
    known = _request_reset(api_client, "reader@example.com", django_capture_on_commit_callbacks)
    unknown = _request_reset(api_client, "nobody@example.com", django_capture_on_commit_callbacks)
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert [m.to for m in mailoutbox] == [["reader@example.com"]]


@pytest.mark.django_db
def test_reset_token_sets_new_password_once_and_revokes_refresh_tokens(
    api_client, reader, mailoutbox, django_capture_on_commit_callbacks
):
    old_pair = api_client.post(LOGIN, {"email": reader.email, "password": PASSWORD}, format="json").json()
    _request_reset(api_client, reader.email, django_capture_on_commit_callbacks)
    body = mailoutbox[0].body
    uid, token = token_from(body, "uid"), token_from(body, "token")
    confirm = {"uid": uid, "token": token, "new_password": NEW_PASSWORD}
    assert api_client.post(CONFIRM, confirm, format="json").status_code == 200
    # the token is spent
    again = api_client.post(CONFIRM, {**confirm, "new_password": "yet-another-passphrase-7"}, format="json")
    assert again.status_code == 400
    assert again.json()["errors"][0]["code"] == "token_invalid"
    # old password out, new one in
    assert api_client.post(LOGIN, {"email": reader.email, "password": PASSWORD}, format="json").status_code == 401
    assert api_client.post(LOGIN, {"email": reader.email, "password": NEW_PASSWORD}, format="json").status_code == 200
    # refresh tokens issued before the reset no longer work
    refresh = APIClient().post("/api/v1/auth/refresh/", {"refresh": old_pair["refresh"]}, format="json")
    assert refresh.status_code == 401


@pytest.mark.django_db
def test_reset_confirm_rejects_bad_tokens_and_weak_passwords(
    api_client, reader, mailoutbox, django_capture_on_commit_callbacks
):
    _request_reset(api_client, reader.email, django_capture_on_commit_callbacks)
    uid, token = token_from(mailoutbox[0].body, "uid"), token_from(mailoutbox[0].body, "token")
    bad = [
        {"uid": uid, "token": token[:-1] + ("x" if token[-1] != "x" else "y"), "new_password": NEW_PASSWORD},
        {"uid": "garbage", "token": token, "new_password": NEW_PASSWORD},
        {"uid": "", "token": token, "new_password": NEW_PASSWORD},
    ]
    for payload in bad:
        assert api_client.post(CONFIRM, payload, format="json").status_code == 400
    weak = api_client.post(CONFIRM, {"uid": uid, "token": token, "new_password": "short"}, format="json")
    assert weak.status_code == 400
    assert weak.json()["errors"][0]["field"] == "new_password"
    # the token survives a rejected weak password
    ok = api_client.post(CONFIRM, {"uid": uid, "token": token, "new_password": NEW_PASSWORD}, format="json")
    assert ok.status_code == 200


@pytest.mark.django_db
def test_reset_verifies_the_address_and_clears_the_login_lock(
    api_client, unverified_reader, mailoutbox, django_capture_on_commit_callbacks
):
    for _ in range(5):
        api_client.post(LOGIN, {"email": unverified_reader.email, "password": "wrong"}, format="json")
    locked = api_client.post(LOGIN, {"email": unverified_reader.email, "password": PASSWORD}, format="json")
    assert locked.status_code == 429
    _request_reset(api_client, unverified_reader.email, django_capture_on_commit_callbacks)
    body = mailoutbox[0].body
    confirm = {"uid": token_from(body, "uid"), "token": token_from(body, "token"), "new_password": NEW_PASSWORD}
    assert api_client.post(CONFIRM, confirm, format="json").status_code == 200
    unverified_reader.refresh_from_db()
    assert unverified_reader.email_verified_at is not None
    login = api_client.post(LOGIN, {"email": unverified_reader.email, "password": NEW_PASSWORD}, format="json")
    assert login.status_code == 200


@pytest.mark.django_db
def test_the_request_path_does_the_same_work_for_known_and_unknown_addresses(
    api_client, reader, monkeypatch, django_capture_on_commit_callbacks
):
    """The lookup happens in the Celery task: the request itself reads no account and enqueues one task either
    way, so its timing cannot tell whether an address has an account."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.tasks import password_reset_send_task

    enqueued = []
    monkeypatch.setattr(password_reset_send_task, "delay", lambda email, minute: enqueued.append(email))
    answers, queries = [], []
    for address in ("reader@example.com", "nobody@example.com"):
        with CaptureQueriesContext(connection) as captured:
            answers.append(_request_reset(api_client, address, django_capture_on_commit_callbacks))
        queries.append([q["sql"] for q in captured.captured_queries])

    assert [a.status_code for a in answers] == [202, 202]
    assert enqueued == ["reader@example.com", "nobody@example.com"]
    assert len(queries[0]) == len(queries[1])
    assert not any("accounts_user" in sql for sql in queries[0] + queries[1])


@pytest.mark.django_db
def test_a_broker_outage_sends_the_reset_inline(
    api_client, reader, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    from accounts.tasks import password_reset_send_task

    def broker_down(email, minute):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(password_reset_send_task, "delay", broker_down)

    assert _request_reset(api_client, reader.email, django_capture_on_commit_callbacks).status_code == 202
    assert [m.to for m in mailoutbox] == [[reader.email]]


@pytest.mark.django_db
def test_a_task_retried_minutes_later_sends_no_second_email(reader, mailoutbox, django_capture_on_commit_callbacks):
    """The outbox key carries the minute of the request, not of the run: a redelivered task is a no-op."""
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone

    from accounts.tasks import password_reset_send_task

    minute = int(timezone.now().timestamp() // 60)
    with django_capture_on_commit_callbacks(execute=True):
        password_reset_send_task.delay(reader.email, minute)
    later = timezone.now() + timedelta(minutes=7)
    with mock.patch("django.utils.timezone.now", return_value=later), django_capture_on_commit_callbacks(execute=True):
        password_reset_send_task.delay(reader.email, minute)

    assert [m.to for m in mailoutbox] == [[reader.email]]
