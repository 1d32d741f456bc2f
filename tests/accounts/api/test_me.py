import pytest
from django.contrib.auth import get_user_model

from cms.core.models import OutboundEmail
from tests.accounts.factories import UserFactory
from tests.accounts.helpers import PASSWORD, token_from

User = get_user_model()
ME = "/api/v1/me/"
VERIFY = "/api/v1/auth/verify-email/"


@pytest.fixture
def as_reader(api_client, reader):
    api_client.force_authenticate(reader)
    return api_client


@pytest.mark.django_db
def test_me_shows_profile_with_read_only_subscription_and_meter(api_client, subscriber):
    api_client.force_authenticate(subscriber)
    body = api_client.get(ME).json()
    assert body["email"] == "subscriber@example.com"
    assert body["email_verified"] is True
    assert body["subscription"]["status"] == "active"
    assert body["subscription"]["entitled"] is True
    assert body["subscription"]["plan_display"] == "$0.50/week"
    assert body["meter"]["reader_kind"] == "subscriber"
    assert body["meter"]["limit"] is None


@pytest.mark.django_db
def test_me_of_a_registered_reader_has_the_registered_allowance(as_reader, settings):
    body = as_reader.get(ME).json()
    assert body["subscription"] is None
    assert body["meter"]["reader_kind"] == "registered"
    assert body["meter"]["limit"] == settings.PAYWALL_REGISTERED_DAILY_LIMIT
    assert body["meter"]["used"] == 0


@pytest.mark.django_db
def test_patch_updates_preferences(as_reader, reader):
    response = as_reader.patch(
        ME, {"display_name": "  New Name ", "newsletter": True, "notify_replies": False}, format="json"
    )
    assert response.status_code == 200
    reader.refresh_from_db()
    assert (reader.display_name, reader.newsletter, reader.notify_replies) == ("New Name", True, False)
    assert response.json()["display_name"] == "New Name"


@pytest.mark.django_db
def test_mass_assignment_changes_nothing(as_reader, reader):
    before = User.objects.filter(pk=reader.pk).values().get()
    response = as_reader.patch(
        ME,
        {
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
            "email_verified_at": None,
            "email_verified": False,
            "id": 999,
            "password": "pwned-password-123",
            "pending_email": "attacker@example.com",
            "date_joined": "2000-01-01T00:00:00Z",
            "subscription": {"status": "active", "entitled": True},
            "meter": {"limit": None, "used": 0, "remaining": 1000},
            "groups": [1],
        },
        format="json",
    )
    assert response.status_code == 200
    assert User.objects.filter(pk=reader.pk).values().get() == before
    body = response.json()
    assert body["is_staff"] is False
    assert body["subscription"] is None
    assert body["meter"]["reader_kind"] == "registered"
    assert not reader.groups.exists()


@pytest.mark.django_db
def test_email_change_needs_current_password(as_reader, reader):
    missing = as_reader.patch(ME, {"email": "new@example.com"}, format="json")
    wrong = as_reader.patch(ME, {"email": "new@example.com", "current_password": "nope"}, format="json")
    for response in (missing, wrong):
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "current_password"
    reader.refresh_from_db()
    assert (reader.email, reader.pending_email) == ("reader@example.com", "")


@pytest.mark.django_db
def test_email_change_waits_for_verification_of_the_new_address(
    as_reader, reader, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_reader.patch(ME, {"email": "New@Example.com", "current_password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json()["email"] == "reader@example.com"
    assert response.json()["pending_email"] == "new@example.com"
    assert [m.to for m in mailoutbox] == [["new@example.com"]]
    token = token_from(mailoutbox[0].body)
    with django_capture_on_commit_callbacks(execute=True):
        assert as_reader.post(VERIFY, {"token": token}, format="json").status_code == 200
    reader.refresh_from_db()
    assert (reader.email, reader.pending_email) == ("new@example.com", "")
    assert reader.email_verified_at is not None
    # the old address is told; the link is spent
    assert mailoutbox[-1].to == ["reader@example.com"]
    assert as_reader.post(VERIFY, {"token": token}, format="json").status_code == 400


@pytest.mark.django_db
def test_email_change_to_a_taken_address_reveals_nothing_and_changes_nothing(
    as_reader, reader, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="taken@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = as_reader.patch(ME, {"email": "taken@example.com", "current_password": PASSWORD}, format="json")
    assert response.status_code == 200
    reader.refresh_from_db()
    assert (reader.email, reader.pending_email) == ("reader@example.com", "")
    assert OutboundEmail.objects.get().template == "account_exists"
    assert mailoutbox[0].to == ["taken@example.com"]


@pytest.mark.django_db
def test_patch_rejects_bad_values_naming_the_field(as_reader):
    response = as_reader.patch(ME, {"display_name": "x" * 81}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "display_name"
    response = as_reader.patch(ME, {"email": "not-an-email", "current_password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "email"


@pytest.mark.django_db
def test_delete_needs_the_password_and_then_removes_the_account(as_reader, reader):
    assert as_reader.delete(ME, {"password": "wrong"}, format="json").status_code == 400
    assert as_reader.delete(ME, {}, format="json").status_code == 400
    assert User.objects.filter(pk=reader.pk).exists()
    assert as_reader.delete(ME, {"password": PASSWORD}, format="json").status_code == 204
    assert not User.objects.filter(pk=reader.pk).exists()


@pytest.mark.django_db
def test_delete_with_a_subscription_that_still_bills_is_refused(api_client, subscriber):
    api_client.force_authenticate(subscriber)
    response = api_client.delete(ME, {"password": PASSWORD}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "subscription_live"
    assert User.objects.filter(pk=subscriber.pk).exists()


@pytest.mark.django_db
def test_deleted_accounts_tokens_stop_working(api_client, reader):
    from rest_framework.test import APIClient

    pair = api_client.post("/api/v1/auth/login/", {"email": reader.email, "password": PASSWORD}, format="json").json()
    client = APIClient()
    headers = {"Authorization": f"Bearer {pair['access']}"}
    assert client.delete(ME, {"password": PASSWORD}, format="json", headers=headers).status_code == 204
    assert client.get(ME, headers=headers).status_code == 401
    assert client.post("/api/v1/auth/refresh/", {"refresh": pair["refresh"]}, format="json").status_code == 401
