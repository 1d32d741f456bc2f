"""Paywall admin: subscriptions searchable by email with their history, actions and the gift form through the
services, the meter policy saved through `meter_policy_update`, read-only stats."""

from __future__ import annotations

import pytest
from django.utils import timezone

from paywall.models import MeterDailyStat, MeterPolicy, Subscription, SubscriptionEvent
from paywall.selectors import meter_limits
from paywall.services import subscription_trial_start
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(email="root@example.com", is_staff=True, is_superuser=True))
    return client


def test_subscription_search_by_email_and_history_inline(admin_client, reader, subscriber):
    sub = subscription_trial_start(user=reader)
    listing = admin_client.get("/admin/paywall/subscription/", {"q": "reader@example"})
    assert listing.status_code == 200
    assert "reader@example.com" in listing.content.decode() and "subscriber@example.com" not in listing.content.decode()
    page = admin_client.get(f"/admin/paywall/subscription/{sub.pk}/change/")
    assert page.status_code == 200 and "free trial started" in page.content.decode()


def test_admin_actions_use_the_services(admin_client, subscriber):
    sub = Subscription.objects.get(user=subscriber)
    response = admin_client.post(
        "/admin/paywall/subscription/",
        {"action": "cancel_at_period_end", "_selected_action": [sub.pk]},
    )
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.cancel_at_period_end
    event = SubscriptionEvent.objects.get(subscription=sub)
    assert event.source == "staff" and event.actor.email == "root@example.com"
    admin_client.post("/admin/paywall/subscription/", {"action": "cancel_now_refund", "_selected_action": [sub.pk]})
    sub.refresh_from_db()
    assert sub.status == "canceled"


def test_gift_a_subscription(admin_client, reader):
    assert admin_client.get("/admin/paywall/subscription/gift/").status_code == 200
    response = admin_client.post("/admin/paywall/subscription/gift/", {"email": "READER@example.com", "days": 30})
    assert response.status_code == 302
    sub = Subscription.objects.get(user=reader)
    assert sub.is_comp and sub.status == "active" and (sub.current_period_end - timezone.now()).days >= 29
    again = admin_client.post("/admin/paywall/subscription/gift/", {"email": "reader@example.com", "days": 30})
    assert again.status_code == 200 and "already has a subscription" in again.content.decode()
    unknown = admin_client.post("/admin/paywall/subscription/gift/", {"email": "x@example.com", "days": 30})
    assert "No reader with this email" in unknown.content.decode()


def test_gift_page_needs_staff(client, reader):
    client.force_login(reader)
    response = client.get("/admin/paywall/subscription/gift/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_meter_policy_is_saved_through_the_service(admin_client):
    assert meter_limits() == (3, 5)  # cached now
    response = admin_client.post(
        "/admin/paywall/meterpolicy/add/",
        {"window": "day", "rolling_days": "30", "anonymous_limit": "2", "registered_limit": "8", "attribution_days": 3},
    )
    assert response.status_code == 302
    assert MeterPolicy.objects.get().registered_limit == 8
    assert meter_limits() == (2, 8)  # the cache was dropped: effective at once
    assert admin_client.get("/admin/paywall/meterpolicy/add/").status_code == 403  # a single row


def test_daily_stats_are_read_only(admin_client):
    MeterDailyStat.objects.create(day=timezone.localdate(), readers=3, metered_reads=7, paywall_hits=2)
    assert admin_client.get("/admin/paywall/meterdailystat/").status_code == 200
    assert admin_client.get("/admin/paywall/meterdailystat/add/").status_code == 403


def test_gift_links_are_listed_read_only_and_revoked_through_the_service(admin_client, subscriber):
    from paywall.models import GiftLink
    from tests.articles.factories import ArticleFactory
    from tests.paywall.gifts import gift_of

    link, token = gift_of(ArticleFactory(title="A gifted story"), subscriber)
    listing = admin_client.get("/admin/paywall/giftlink/")
    assert listing.status_code == 200 and "A gifted story" in listing.content.decode()
    assert token not in listing.content.decode()  # the token is the giver's to share
    page = admin_client.get(f"/admin/paywall/giftlink/{link.pk}/change/")
    assert page.status_code == 200 and token.split(":")[0] not in page.content.decode()
    assert admin_client.get("/admin/paywall/giftlink/add/").status_code == 403
    response = admin_client.post("/admin/paywall/giftlink/", {"action": "revoke", "_selected_action": [link.pk]})
    assert response.status_code == 302
    assert GiftLink.objects.get(pk=link.pk).revoked_at is not None
