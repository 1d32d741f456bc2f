import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.base",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="news.example.com",
        SECURE_PROXY_SSL_HEADER="1",
        BILLING_PROVIDER="stripe",
        STRIPE_SECRET_KEY="sk_test_not_a_real_key",
        STRIPE_WEBHOOK_SECRET="whsec_not_a_real_secret",
    )
    env.update(extra)
    return env


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_about_the_dev_billing_provider():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(BILLING_PROVIDER="dev"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "paywall.W001" in result.stderr + result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = _production_env()
    env.pop("SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_passwords_hash_with_argon2_first_in_base_settings():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; import django; django.setup(); print(settings.PASSWORD_HASHERS[0])",
        ],
        cwd=ROOT,
        env={**_production_env(), "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher", result.stderr


@pytest.mark.django_db
def test_healthz_reports_database_and_cache(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["cache"]["ok"]
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_cache_is_down(client):
    broken = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    from django.test import override_settings

    with override_settings(CACHES=broken):  # Django resets its cache handlers on this setting change
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["ok"] is False


BROKEN_CACHE = {
    "default": {
        "BACKEND": "cms.core.cache.TolerantRedisCache",  # as in production: an outage is a miss, never a raise
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2},
    }
}


@pytest.mark.django_db
def test_readyz_stays_200_and_says_degraded_when_only_the_cache_is_down(client):
    from django.test import override_settings

    assert client.get("/readyz").json()["status"] == "ok"
    with override_settings(CACHES=BROKEN_CACHE):
        response = client.get("/readyz")
        alerting = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded" and response.json()["checks"]["cache"]["ok"] is False
    assert alerting.status_code == 503  # monitoring still sees it


@pytest.mark.django_db
def test_readyz_is_503_without_the_database(client, monkeypatch):
    from cms.core import views

    def down():
        raise OSError("connection refused")

    monkeypatch.setattr(views, "_database", down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_livez_needs_nothing(client, monkeypatch):
    from cms.core import views

    monkeypatch.setattr(views, "_database", lambda: (_ for _ in ()).throw(OSError("down")))
    response = client.get("/livez")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
