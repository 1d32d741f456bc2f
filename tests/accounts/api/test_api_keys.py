import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts import services, throttling
from accounts.models import ApiKey
from accounts.selectors import api_key_hash


class ProbeApi(APIView):
    """A view with the project's default authentication and throttles."""

    def get(self, request):
        return Response(
            {
                "user_authenticated": request.user.is_authenticated,
                "key": request.auth.name if isinstance(request.auth, ApiKey) else None,
            }
        )


def _probe(headers=None, ip="203.0.113.1"):
    request = APIRequestFactory().get("/probe/", headers=headers or {}, REMOTE_ADDR=ip)
    return ProbeApi.as_view()(request)


@pytest.fixture
def tight_rates(monkeypatch):
    rates = {"anon": "2/min", "user": "2/min", "apikey": "5/min"}
    for cls in (throttling.AnonRateThrottle, throttling.UserRateThrottle, throttling.ApiKeyRateThrottle):
        monkeypatch.setattr(cls, "THROTTLE_RATES", rates)


@pytest.mark.django_db
def test_key_is_stored_hashed_and_shown_once(editor):
    key, raw = services.api_key_create(name="Next.js site", created_by=editor)
    assert raw.startswith(f"mh_{key.prefix}_")
    stored = ApiKey.objects.values().get(pk=key.pk)
    assert raw not in str(stored)
    assert stored["key_hash"] == api_key_hash(raw)


@pytest.mark.django_db
def test_key_authenticates_a_frontend_never_a_reader(editor):
    key, raw = services.api_key_create(name="SSR", created_by=editor)
    body = _probe({"X-Api-Key": raw}).data
    assert body == {"user_authenticated": False, "key": "SSR"}
    key.refresh_from_db()
    assert key.last_used_at is not None


@pytest.mark.django_db
def test_key_cannot_reach_reader_endpoints(api_client, editor):
    _, raw = services.api_key_create(name="SSR", created_by=editor)
    assert api_client.get("/api/v1/me/", headers={"X-Api-Key": raw}).status_code in (401, 403)


@pytest.mark.django_db
def test_unknown_tampered_or_revoked_key_is_401(editor):
    key, raw = services.api_key_create(name="SSR", created_by=editor)
    nul = f"mh_{key.prefix}\x00_x"  # cannot be stored or queried by PostgreSQL: still a plain 401, never a 500
    for bad in ("nonsense", raw[:-1] + ("A" if raw[-1] != "A" else "B"), f"mh_{key.prefix}_x", nul):
        assert _probe({"X-Api-Key": bad}).status_code == 401
    services.api_key_revoke(key=key)
    services.api_key_revoke(key=key)  # idempotent
    assert _probe({"X-Api-Key": raw}).status_code == 401


@pytest.mark.django_db
def test_keys_get_the_apikey_rate_instead_of_anon_and_user(editor, tight_rates):
    _, raw = services.api_key_create(name="SSR", created_by=editor)
    anonymous = [_probe().status_code for _ in range(3)]
    assert anonymous == [200, 200, 429]
    # the same address with a key is not held by the anon/user rates, only by the key's own
    keyed = [_probe({"X-Api-Key": raw}).status_code for _ in range(6)]
    assert keyed == [200] * 5 + [429]


def test_key_throttle_ignores_requests_without_a_key():
    request = APIRequestFactory().get("/")
    request.auth = None
    request.user = AnonymousUser()
    assert throttling.ApiKeyRateThrottle().get_cache_key(request, None) is None


@pytest.mark.django_db
def test_admin_creates_key_shows_it_once_and_revokes(client, django_user_model):
    admin_user = django_user_model.objects.create_superuser(email="boss@example.com", password="x-admin-pass-1")
    client.force_login(admin_user)
    response = client.post("/admin/accounts/apikey/add/", {"name": "Mobile BFF"}, follow=True)
    assert response.status_code == 200
    key = ApiKey.objects.get(name="Mobile BFF")
    assert key.created_by == admin_user
    shown = [str(m) for m in response.context["messages"]]
    raw = next(word for m in shown for word in m.split() if word.startswith("mh_"))
    assert api_key_hash(raw) == key.key_hash
    # the change page never shows it again
    page = client.get(f"/admin/accounts/apikey/{key.pk}/change/").content.decode()
    assert raw not in page
    assert key.key_hash not in page
    client.post("/admin/accounts/apikey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True)
    key.refresh_from_db()
    assert key.revoked_at is not None
