import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

import cms.settings.base as base_settings
from accounts import demo, services
from cms.core.exceptions import ApplicationError
from tests.accounts.factories import UserFactory

User = get_user_model()


def test_argon2_is_the_first_hasher_in_base_settings():
    assert base_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    # tests use MD5 for speed only
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_argon2_hashes_new_passwords_with_base_settings(settings):
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = base_settings.PASSWORD_HASHERS
    assert make_password("whatever-passphrase").startswith("argon2$")


def test_api_key_classes_are_in_rest_framework_defaults():
    rf = settings.REST_FRAMEWORK
    assert "accounts.backends.ApiKeyAuthentication" in rf["DEFAULT_AUTHENTICATION_CLASSES"]
    assert "accounts.throttling.ApiKeyRateThrottle" in rf["DEFAULT_THROTTLE_CLASSES"]
    assert "rest_framework.throttling.AnonRateThrottle" not in rf["DEFAULT_THROTTLE_CLASSES"]


@pytest.mark.django_db
def test_demo_accounts_are_idempotent_verified_and_can_log_in(api_client):
    first = demo.demo_accounts_ensure()
    second = demo.demo_accounts_ensure()
    assert first == second
    roles = {role: (email, password) for role, email, password in first}
    assert set(roles) == {"reader", "subscriber", "editor", "contributor", "admin"}
    assert User.objects.filter(email__endswith="@masthead.local").count() == 5
    editor = User.objects.get(email="editor@masthead.local")
    assert editor.is_staff and editor.groups.filter(name="Editor").exists()
    contributor = User.objects.get(email="contributor@masthead.local")
    assert contributor.groups.filter(name="Contributor").exists()
    assert User.objects.get(email="admin@masthead.local").is_superuser
    assert not User.objects.filter(email__endswith="@masthead.local", email_verified_at__isnull=True).exists()
    email, password = roles["reader"]
    response = api_client.post("/api/v1/auth/login/", {"email": email, "password": password}, format="json")
    assert response.status_code == 200


@pytest.mark.django_db
def test_register_race_on_the_same_address_creates_one_account(django_capture_on_commit_callbacks):
    services.user_register(email="race@example.com", password="a-long-enough-passphrase")
    assert services.user_register(email="RACE@example.com", password="a-long-enough-passphrase") is None
    assert User.objects.filter(email__iexact="race@example.com").count() == 1


@pytest.mark.django_db
def test_api_key_needs_a_name():
    with pytest.raises(ApplicationError) as exc:
        services.api_key_create(name="  ")
    assert exc.value.field == "name"


@pytest.mark.django_db
def test_admin_user_list_search_and_filters(client, django_user_model):
    admin_user = django_user_model.objects.create_superuser(email="boss@example.com", password="x-admin-pass-1")
    UserFactory(email="findme@example.com", email_verified_at=None)
    client.force_login(admin_user)
    page = client.get("/admin/accounts/user/", {"q": "FINDME"})
    assert page.status_code == 200
    assert [u.email for u in page.context["cl"].result_list] == ["findme@example.com"]
    unverified = client.get("/admin/accounts/user/", {"verified": "no"})
    assert [u.email for u in unverified.context["cl"].result_list] == ["findme@example.com"]
    verified = client.get("/admin/accounts/user/", {"verified": "yes"})
    assert [u.email for u in verified.context["cl"].result_list] == ["boss@example.com"]
    assert client.get("/admin/accounts/user/add/").status_code == 200
    user = User.objects.get(email="findme@example.com")
    assert client.get(f"/admin/accounts/user/{user.pk}/change/").status_code == 200
    client.post("/admin/accounts/user/", {"action": "mark_verified", "_selected_action": [user.pk]})
    user.refresh_from_db()
    assert user.email_verified_at is not None


@pytest.mark.django_db
def test_admin_can_create_a_user(client, django_user_model):
    admin_user = django_user_model.objects.create_superuser(email="boss@example.com", password="x-admin-pass-1")
    client.force_login(admin_user)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "Made@Example.com",
            "display_name": "Made",
            "password1": "a-long-enough-pass-9",
            "password2": "a-long-enough-pass-9",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert User.objects.filter(email__iexact="made@example.com").exists()


@pytest.mark.django_db
def test_tokens_flush_task_drops_expired_tokens_only_and_is_idempotent(reader):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    from accounts.tasks import tokens_flush_task

    with time_machine.travel(timezone.now() - timedelta(days=60)):
        services.token_pair_issue(user=reader)
    services.token_pair_issue(user=reader)
    assert OutstandingToken.objects.count() == 2
    assert tokens_flush_task() == 1
    assert tokens_flush_task() == 0
    assert OutstandingToken.objects.count() == 1
