from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from cms.core.models import OutboundEmail
from tests.accounts.factories import UserFactory
from tests.accounts.helpers import token_from

User = get_user_model()
REGISTER = "/api/v1/auth/register/"
VERIFY = "/api/v1/auth/verify-email/"


def _register(client, email, password="a-long-enough-passphrase", headers=None, **fields):
    return client.post(REGISTER, {"email": email, "password": password, **fields}, format="json", headers=headers)


@pytest.mark.django_db
def test_register_creates_unverified_account_that_can_log_in_and_sends_verification(
    api_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _register(api_client, "New.Reader@Example.com", display_name="Newbie")
    assert response.status_code == 202
    user = User.objects.get(email="new.reader@example.com")
    assert user.display_name == "Newbie"
    assert user.email_verified_at is None
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new.reader@example.com"]
    assert "verify-email?token=" in mailoutbox[0].body
    credentials = {"email": "new.reader@example.com", "password": "a-long-enough-passphrase"}
    login = api_client.post("/api/v1/auth/login/", credentials, format="json")
    assert login.status_code == 200


@pytest.mark.django_db
def test_register_answers_identically_for_existing_email_and_sends_notice_instead(
    api_client, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="taken@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        fresh = _register(api_client, "fresh@example.com")
        taken = _register(api_client, "TAKEN@example.com")
    assert (fresh.status_code, fresh.content) == (taken.status_code, taken.content)
    assert dict(fresh.headers).keys() == dict(taken.headers).keys()
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    templates = dict(OutboundEmail.objects.values_list("to", "template"))
    assert templates == {"fresh@example.com": "account_verify_email", "taken@example.com": "account_exists"}
    notice = next(m for m in mailoutbox if m.to == ["taken@example.com"])
    assert "already have an account" in notice.body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": "a-long-enough-passphrase"}, "email"),
        ({"email": "x@example.com", "password": "short"}, "password"),
        ({"email": "x@example.com", "password": "password123"}, "password"),
        ({"email": "x@example.com", "password": "12345678901234"}, "password"),
        ({"email": "x@example.com"}, "password"),
        ({"password": "a-long-enough-passphrase"}, "email"),
    ],
)
def test_register_rejects_bad_input_naming_the_field(api_client, payload, field):
    response = api_client.post(REGISTER, payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert not User.objects.exists()


@pytest.mark.django_db
def test_weak_password_is_refused_the_same_for_existing_email(api_client):
    UserFactory(email="taken@example.com")
    fresh = _register(api_client, "fresh@example.com", password="short")
    taken = _register(api_client, "taken@example.com", password="short")
    assert fresh.status_code == taken.status_code == 400
    assert fresh.json() == taken.json()


@pytest.mark.django_db
def test_verify_email_token_is_single_use(api_client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _register(api_client, "v@example.com")
    token = token_from(mailoutbox[0].body)
    first = api_client.post(VERIFY, {"token": token}, format="json")
    assert first.status_code == 200
    assert User.objects.get(email="v@example.com").email_verified_at is not None
    second = api_client.post(VERIFY, {"token": token}, format="json")
    assert second.status_code == 400
    assert second.json()["errors"][0] == {
        "field": "token",
        "code": "token_invalid",
        "message": "This verification link is invalid or has expired.",
    }


@pytest.mark.django_db
def test_verify_email_token_expires_and_tampering_is_refused(
    api_client, mailoutbox, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        _register(api_client, "e@example.com")
    token = token_from(mailoutbox[0].body)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert api_client.post(VERIFY, {"token": tampered}, format="json").status_code == 400
    assert api_client.post(VERIFY, {"token": "garbage"}, format="json").status_code == 400
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        assert api_client.post(VERIFY, {"token": token}, format="json").status_code == 400
    assert User.objects.get(email="e@example.com").email_verified_at is None
    assert api_client.post(VERIFY, {"token": token}, format="json").status_code == 200


@pytest.mark.django_db
def test_register_moves_anonymous_reads_to_the_new_account(api_client):
    from paywall.models import MeterRead
    from paywall.readers import reader_token_issue
    from paywall.selectors import period_for
    from tests.articles.factories import ArticleFactory

    anon_id, token = reader_token_issue()
    article = ArticleFactory()
    period, _ = period_for(timezone.now())
    MeterRead.objects.create(reader_key=f"a:{anon_id}", period=period, article=article)
    response = _register(api_client, "merge@example.com", headers={"X-Reader-Token": token})
    assert response.status_code == 202
    user = User.objects.get(email="merge@example.com")
    assert MeterRead.objects.filter(reader_key=f"u:{user.pk}", article=article).exists()
    assert not MeterRead.objects.filter(reader_key=f"a:{anon_id}").exists()
