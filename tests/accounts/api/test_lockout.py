import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.throttling import client_ip
from tests.accounts.factories import UserFactory
from tests.accounts.helpers import PASSWORD

LOGIN = "/api/v1/auth/login/"


def _login(client, email, password, ip="203.0.113.7", **extra):
    return client.post(LOGIN, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip, **extra)


@pytest.mark.django_db
def test_five_failures_lock_the_account_for_15_minutes_even_with_the_right_password(api_client, reader):
    for _ in range(4):
        assert _login(api_client, "reader@example.com", "wrong-password").status_code == 401
    fifth = _login(api_client, "reader@example.com", "wrong-password")
    assert fifth.status_code == 429
    right = _login(api_client, "reader@example.com", PASSWORD)
    assert right.status_code == 429
    assert right.json()["code"] == "login_locked"
    assert 14 * 60 < int(right["Retry-After"]) <= 15 * 60
    assert "access" not in right.json()
    # from another address too: the lock is on the account
    assert _login(api_client, "Reader@Example.com", PASSWORD, ip="198.51.100.9").status_code == 429
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=15, seconds=5)):
        assert _login(api_client, "reader@example.com", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_one_accounts_failures_do_not_lock_other_accounts_from_the_same_address(api_client, reader):
    UserFactory(email="other@example.com")
    for _ in range(6):
        _login(api_client, "reader@example.com", "wrong-password")
    assert _login(api_client, "reader@example.com", PASSWORD).status_code == 429
    assert _login(api_client, "other@example.com", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_unknown_addresses_lock_the_same_way_so_lockout_reveals_nothing(api_client):
    answers = [_login(api_client, "ghost@example.com", "wrong-password").status_code for _ in range(6)]
    assert answers == [401, 401, 401, 401, 429, 429]


@pytest.mark.django_db
def test_success_resets_the_account_failure_count(api_client, reader):
    for _ in range(4):
        _login(api_client, "reader@example.com", "wrong-password")
    assert _login(api_client, "reader@example.com", PASSWORD).status_code == 200
    for _ in range(4):
        assert _login(api_client, "reader@example.com", "wrong-password").status_code == 401


@pytest.mark.django_db
def test_client_address_is_limited_across_accounts(api_client, settings):
    settings.ACCOUNTS_IP_FAILURES = 7  # the default is 50 an hour; smaller keeps the test under the login rate
    victim = UserFactory(email="victim@example.com")
    for n in range(7):
        _login(api_client, f"spray{n}@example.com", "wrong-password")
    # the spraying address is locked out of every account, even with the right password
    locked = _login(api_client, victim.email, PASSWORD)
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    # another address still gets in
    assert _login(api_client, victim.email, PASSWORD, ip="198.51.100.20").status_code == 200


@pytest.mark.django_db
def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(api_client, reader, settings):
    settings.TRUSTED_PROXIES = []
    for n in range(5):
        _login(api_client, "reader@example.com", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    # rotating a spoofed X-Forwarded-For does not escape the per-address counting either
    assert _login(api_client, "reader@example.com", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_client_ip_trusts_forwarded_for_only_from_configured_proxies(settings, rf):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    direct = rf.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(direct) == "203.0.113.5"
    proxied = rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4, 10.0.0.2")
    assert client_ip(proxied) == "198.51.100.4"  # right-most untrusted hop; the spoofable left part is ignored
    garbage = rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_ip(garbage) == "10.1.2.3"
    settings.TRUSTED_PROXIES = []
    assert client_ip(proxied) == "10.1.2.3"


@pytest.mark.django_db
def test_login_rate_throttle_applies_per_address(reader):
    client = APIClient()
    answers = [_login(client, f"nobody{n}@example.com", "x", ip="192.0.2.50") for n in range(21)]
    assert [a.status_code for a in answers[:20]] == [401] * 20  # THROTTLE_LOGIN: 20/min per address
    assert answers[20].status_code == 429
    assert answers[20].json()["code"] == "throttled"
    assert "Retry-After" in answers[20]
    assert _login(client, "nobody@example.com", "x", ip="192.0.2.51").status_code == 401


@pytest.mark.django_db
def test_an_unavailable_cache_does_not_break_login(api_client, reader, monkeypatch):
    from django.core.cache import cache

    def broken_incr(*args, **kwargs):
        raise ValueError("cache unavailable")

    monkeypatch.setattr(cache, "incr", broken_incr)
    assert _login(api_client, "reader@example.com", "wrong-password").status_code == 401
    assert _login(api_client, "reader@example.com", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_a_keyed_frontend_relays_each_readers_address(api_client, settings, editor):
    from accounts import services

    settings.ACCOUNTS_IP_FAILURES = 6
    _, raw = services.api_key_create(name="SSR", created_by=editor)
    victim = UserFactory(email="victim@example.com")
    frontend = "198.51.100.80"
    for n in range(6):
        _login(
            api_client, f"spray{n}@example.com", "x", ip=frontend, HTTP_X_API_KEY=raw, HTTP_X_FORWARDED_FOR="6.6.6.6"
        )
    # the spraying reader is locked out, another reader behind the same frontend is not
    spray = _login(api_client, victim.email, PASSWORD, ip=frontend, HTTP_X_API_KEY=raw, HTTP_X_FORWARDED_FOR="6.6.6.6")
    other = _login(api_client, victim.email, PASSWORD, ip=frontend, HTTP_X_API_KEY=raw, HTTP_X_FORWARDED_FOR="7.7.7.7")
    assert (spray.status_code, other.status_code) == (429, 200)
    # without the key the same headers are not believed: the frontend's own address counts
    assert _login(api_client, victim.email, PASSWORD, ip=frontend, HTTP_X_FORWARDED_FOR="6.6.6.6").status_code == 200


def test_client_ip_behind_a_keyed_frontend(rf, settings):
    from accounts.models import ApiKey

    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.1.1.1, 8.8.4.4, 198.51.100.80")
    request.auth = ApiKey(name="SSR")
    assert client_ip(request) == "8.8.4.4"  # load balancer skipped, then the frontend's own hop
    request.auth = None
    assert client_ip(request) == "198.51.100.80"
