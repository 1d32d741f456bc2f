"""REST: plans, trial, checkout (dev provider), the reader's subscription, cancel/resume, the meter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from paywall.models import Subscription
from paywall.readers import HEADER_NAME

pytestmark = pytest.mark.django_db


def test_plans_are_public_and_cacheable(api_client):
    response = api_client.get("/api/v1/plans/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    weekly = response.json()["results"][0]
    assert weekly == {
        "code": "weekly",
        "name": "Weekly",
        "price": {"amount": 50, "currency": "usd", "interval": "week", "display": "$0.50/week"},
        "trial_days": 14,
    }


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/subscriptions/trial/"),
        ("post", "/api/v1/subscriptions/checkout/"),
        ("get", "/api/v1/me/subscription/"),
        ("post", "/api/v1/me/subscription/cancel/"),
        ("post", "/api/v1/me/subscription/resume/"),
    ],
)
def test_subscription_endpoints_need_a_signed_in_reader(api_client, method, url):
    response = getattr(api_client, method)(url, {}, format="json")
    assert response.status_code in (401, 403)
    assert "code" in response.json()


def test_no_subscription_yet(api_client, reader):
    api_client.force_authenticate(reader)
    response = api_client.get("/api/v1/me/subscription/")
    assert response.status_code == 200
    assert response.json() == {"status": "none", "trial_available": True}
    assert response["Cache-Control"] == "private, no-store"


def test_trial_start_then_second_attempt_is_409(api_client, reader):
    api_client.force_authenticate(reader)
    response = api_client.post("/api/v1/subscriptions/trial/")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "trialing" and body["is_trial"] is True and body["plan"] is None
    me = api_client.get("/api/v1/me/subscription/").json()
    assert me["status"] == "trialing" and me["access"] is True and me["trial_available"] is False

    again = api_client.post("/api/v1/subscriptions/trial/")
    assert again.status_code == 409
    assert again.json()["code"] == "trial_used"
    assert again.json()["message"] == "You have already used your free trial."


def test_trial_needs_verified_email(api_client, unverified_reader):
    api_client.force_authenticate(unverified_reader)
    response = api_client.post("/api/v1/subscriptions/trial/")
    assert response.status_code == 403
    assert response.json()["errors"][0] == {
        "field": "email",
        "code": "email_unverified",
        "message": "Verify your email address to start your free trial.",
    }


def test_checkout_returns_the_dev_checkout_url(api_client, reader, settings):
    settings.BILLING_PROVIDER = "dev"
    api_client.force_authenticate(reader)
    response = api_client.post("/api/v1/subscriptions/checkout/", {"plan": "weekly"}, format="json")
    assert response.status_code == 200
    assert response.json()["checkout_url"].startswith(f"{settings.PUBLIC_BASE_URL}/billing/dev/checkout/")


@pytest.mark.parametrize("payload", [{}, {"plan": "nope"}, {"plan": ""}, {"plan": ["weekly"]}])
def test_checkout_bad_plan_is_a_400_naming_plan(api_client, reader, payload):
    api_client.force_authenticate(reader)
    response = api_client.post("/api/v1/subscriptions/checkout/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "plan"


def test_checkout_while_paying_is_409(api_client, subscriber):
    api_client.force_authenticate(subscriber)
    response = api_client.post("/api/v1/subscriptions/checkout/", {"plan": "weekly"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "already_subscribed"


def test_cancel_and_resume(api_client, subscriber):
    api_client.force_authenticate(subscriber)
    canceled = api_client.post("/api/v1/me/subscription/cancel/")
    assert canceled.status_code == 200
    assert canceled.json()["status"] == "active" and canceled.json()["cancel_at_period_end"] is True
    assert canceled.json()["access"] is True
    resumed = api_client.post("/api/v1/me/subscription/resume/")
    assert resumed.status_code == 200 and resumed.json()["cancel_at_period_end"] is False


def test_cancel_without_subscription_is_404(api_client, reader, lapsed_subscriber):
    for user in (reader, lapsed_subscriber):
        api_client.force_authenticate(user)
        response = api_client.post("/api/v1/me/subscription/cancel/")
        assert response.status_code == 404 and response.json()["code"] == "no_subscription"


def test_lapsed_reader_sees_the_expired_subscription(api_client, lapsed_subscriber):
    api_client.force_authenticate(lapsed_subscriber)
    body = api_client.get("/api/v1/me/subscription/").json()
    assert body["status"] == "expired" and body["access"] is False and body["trial_available"] is True


def test_meter_for_anonymous_reader_issues_a_token(api_client):
    response = api_client.get("/api/v1/meter/")
    assert response.status_code == 200
    body = response.json()
    assert body["reader_kind"] == "anonymous" and body["limit"] == 3 and body["used"] == 0 and body["remaining"] == 3
    assert set(body) == {"reader_kind", "limit", "used", "remaining", "resets_at", "period"}
    assert response[HEADER_NAME] and response["Cache-Control"] == "private, no-store"
    again = api_client.get("/api/v1/meter/", headers={HEADER_NAME: response[HEADER_NAME]})
    assert HEADER_NAME not in again  # the token was accepted, nothing new issued


def test_meter_for_subscriber_is_unlimited(api_client, subscriber):
    api_client.force_authenticate(subscriber)
    body = api_client.get("/api/v1/meter/").json()
    assert body["reader_kind"] == "subscriber" and body["limit"] is None and body["remaining"] is None


def test_demo_journey_checkout_cancel_keep_access_then_lose_it(api_client, client, reader):
    """Checkout with the dev provider, cancel, keep access until period end, lose it after (time moved forward)."""
    import time_machine

    from paywall.services import subscription_sweep
    from tests.articles.factories import ArticleFactory

    article = ArticleFactory(access_level="premium")
    api_client.force_authenticate(reader)
    url = api_client.post("/api/v1/subscriptions/checkout/", {"plan": "weekly"}, format="json").json()["checkout_url"]
    path = url.removeprefix("http://127.0.0.1:8000")
    assert client.post(path).status_code == 200
    assert api_client.get(f"/api/v1/articles/{article.slug}/").json()["access"]["granted"] is True
    api_client.post("/api/v1/me/subscription/cancel/")
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert api_client.get(f"/api/v1/articles/{article.slug}/").json()["access"]["granted"] is True
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        subscription_sweep()
        body = api_client.get(f"/api/v1/articles/{article.slug}/").json()
        assert body["access"]["granted"] is False and body["paywall"]["code"] == "premium"
        assert api_client.get("/api/v1/me/subscription/").json()["status"] == "expired"
    assert Subscription.objects.get(user=reader).status == "expired"


def test_query_counts_are_constant(api_client, subscriber, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        api_client.get("/api/v1/plans/")
    api_client.force_authenticate(subscriber)
    with django_assert_max_num_queries(3):  # latest subscription with plan, trial check, (session user)
        api_client.get("/api/v1/me/subscription/")
    with django_assert_max_num_queries(4):
        api_client.get("/api/v1/meter/")
