"""Stripe: Checkout Session creation against a local stand-in for the Stripe API, and the webhook: real signatures
made with the library's own helper, the attacks (missing/wrong signature, edited body, stale or future timestamp),
replays (also ten at once), out-of-order events, and the mapping of each event type to a subscription state."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from paywall.models import Plan, ProviderEvent, Subscription, SubscriptionEvent
from tests.accounts.factories import UserFactory
from tests.paywall.conftest import signed_post, stripe_event
from tests.paywall.factories import PlanFactory

S = Subscription.Status


def checkout_completed(user, sub_id="sub_1", event_id="evt_checkout_1"):
    session = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": str(user.pk),
        "customer": "cus_test_1",
        "subscription": sub_id,
    }
    return stripe_event("checkout.session.completed", session, event_id=event_id)


def the_subscription() -> Subscription:
    return Subscription.objects.get(provider="stripe")


# --- checkout -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_checkout_session_is_created_at_the_provider(api_client, reader, fake_stripe, stripe_plan):
    api_client.force_authenticate(reader)
    response = api_client.post("/api/v1/subscriptions/checkout/", {"plan": "weekly"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"checkout_url": "https://checkout.stripe.test/c/pay/cs_test_1"}
    [request] = fake_stripe.requests
    assert (request["method"], request["path"]) == ("POST", "/v1/checkout/sessions")
    assert request["authorization"] == "Bearer sk_test_masthead"
    form = request["form"]
    assert form["mode"] == "subscription"
    assert form["line_items[0][price]"] == "price_weekly"
    assert form["client_reference_id"] == str(reader.pk)
    assert form["customer_email"] == reader.email
    assert form["subscription_data[metadata][user_id]"] == str(reader.pk)


@pytest.mark.django_db
def test_checkout_of_a_plan_without_price_id_is_a_400_naming_plan(api_client, reader, fake_stripe):
    api_client.force_authenticate(reader)
    response = api_client.post("/api/v1/subscriptions/checkout/", {"plan": "annual"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "plan"
    assert fake_stripe.requests == []


@pytest.mark.django_db
def test_checkout_when_stripe_is_down_is_a_503(api_client, reader, stripe_plan, settings):
    settings.BILLING_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_masthead"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    api_client.force_authenticate(reader)
    response = api_client.post("/api/v1/subscriptions/checkout/", {"plan": "weekly"}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "billing_unavailable"


# --- webhook attacks ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_webhook_without_signature_is_rejected(client, reader, fake_stripe, stripe_plan):
    fake_stripe.subscription("sub_1", user_id=reader.pk)
    response = client.post(
        "/api/v1/billing/webhooks/stripe/", data=json.dumps(checkout_completed(reader)), content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_signature"
    assert not ProviderEvent.objects.exists() and not Subscription.objects.exists()


@pytest.mark.django_db
def test_webhook_signed_with_another_secret_is_rejected(client, reader, fake_stripe, stripe_plan):
    fake_stripe.subscription("sub_1", user_id=reader.pk)
    response = signed_post(client, checkout_completed(reader), secret="whsec_attacker")
    assert response.status_code == 400
    assert not ProviderEvent.objects.exists() and not Subscription.objects.exists()


@pytest.mark.django_db
def test_webhook_with_edited_body_is_rejected(client, reader, fake_stripe, stripe_plan):
    fake_stripe.subscription("sub_1", user_id=reader.pk)
    payload = json.dumps(checkout_completed(reader))
    edited = payload.replace(str(reader.pk), str(reader.pk + 1000))
    assert edited != payload
    response = signed_post(client, payload, body=edited)
    assert response.status_code == 400
    assert not ProviderEvent.objects.exists() and not Subscription.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [-400, +400])
def test_webhook_with_stale_or_future_timestamp_is_rejected(client, reader, fake_stripe, stripe_plan, offset):
    fake_stripe.subscription("sub_1", user_id=reader.pk)
    response = signed_post(client, checkout_completed(reader), timestamp=int(time.time()) + offset)
    assert response.status_code == 400
    assert not ProviderEvent.objects.exists() and not Subscription.objects.exists()


@pytest.mark.django_db
def test_webhook_with_a_garbage_body_is_a_400(client, fake_stripe):
    response = signed_post(client, "not json at all")
    assert response.status_code == 400


@pytest.mark.django_db
def test_webhook_without_a_configured_secret_is_rejected(client, reader, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = signed_post(client, checkout_completed(reader))
    assert response.status_code == 400


# --- mapping ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_checkout_completed_activates_from_the_retrieved_subscription(client, reader, fake_stripe, stripe_plan):
    remote = fake_stripe.subscription("sub_1", user_id=reader.pk)
    response = signed_post(client, checkout_completed(reader))
    assert response.status_code == 200 and response.json()["outcome"] == "activated"
    sub = the_subscription()
    assert (sub.user, sub.status, sub.plan) == (reader, S.ACTIVE, stripe_plan)
    assert sub.provider_subscription_id == "sub_1" and sub.provider_customer_id == "cus_test_1"
    assert sub.current_period_end == datetime.fromtimestamp(remote["current_period_end"], tz=UTC)
    assert ("GET", "/v1/subscriptions/sub_1") in [(r["method"], r["path"]) for r in fake_stripe.requests]
    assert ProviderEvent.objects.get().outcome == "activated"
    assert [e.source for e in SubscriptionEvent.objects.filter(subscription=sub)] == [
        "stripe:checkout.session.completed"
    ]


@pytest.mark.django_db
def test_a_replayed_event_is_acknowledged_and_ignored(client, reader, fake_stripe, stripe_plan):
    fake_stripe.subscription("sub_1", user_id=reader.pk)
    event = checkout_completed(reader)
    assert signed_post(client, event).json()["outcome"] == "activated"
    again = signed_post(client, event)
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert ProviderEvent.objects.count() == 1 and SubscriptionEvent.objects.count() == 1


@pytest.mark.django_db
def test_full_lifecycle_over_webhooks(client, reader, fake_stripe, stripe_plan):
    remote = fake_stripe.subscription("sub_1", user_id=reader.pk)
    signed_post(client, checkout_completed(reader))
    signed_post(client, stripe_event("customer.subscription.created", dict(remote), event_id="evt_2"))
    assert the_subscription().status == S.ACTIVE

    # the renewal payment fails
    remote["status"] = "past_due"
    invoice = {"id": "in_2", "object": "invoice", "subscription": "sub_1", "customer": "cus_test_1"}
    r = signed_post(client, stripe_event("invoice.payment_failed", invoice, event_id="evt_3"))
    assert r.json()["outcome"] == "past_due" and the_subscription().status == S.PAST_DUE

    # then succeeds: a new period
    remote.update(status="active", current_period_start=remote["current_period_end"])
    remote["current_period_end"] += 7 * 86400
    r = signed_post(client, stripe_event("invoice.paid", invoice, event_id="evt_4"))
    sub = the_subscription()
    assert r.json()["outcome"] == "renewed" and sub.status == S.ACTIVE
    assert sub.current_period_end == datetime.fromtimestamp(remote["current_period_end"], tz=UTC)

    # the reader cancels in the customer portal
    remote["cancel_at_period_end"] = True
    r = signed_post(client, stripe_event("customer.subscription.updated", dict(remote), event_id="evt_5"))
    sub = the_subscription()
    assert r.json()["outcome"] == "cancel at period end" and sub.cancel_at_period_end and sub.status == S.ACTIVE

    # and the period runs out
    remote.update(status="canceled", ended_at=remote["current_period_end"])
    r = signed_post(client, stripe_event("customer.subscription.deleted", dict(remote), event_id="evt_6"))
    assert r.json()["outcome"] == "expired" and the_subscription().status == S.EXPIRED

    transitions = [(e.from_status, e.to_status) for e in SubscriptionEvent.objects.filter(subscription=sub)]
    assert transitions == [
        ("", "active"),
        ("active", "past_due"),
        ("past_due", "active"),
        ("active", "active"),
        ("active", "expired"),
    ]
    assert ProviderEvent.objects.count() == 6


@pytest.mark.django_db
def test_immediate_cancellation_at_stripe_is_canceled(client, reader, fake_stripe, stripe_plan):
    remote = fake_stripe.subscription("sub_1", user_id=reader.pk)
    signed_post(client, checkout_completed(reader))
    remote.update(status="canceled", ended_at=int(time.time()))
    r = signed_post(client, stripe_event("customer.subscription.deleted", dict(remote), event_id="evt_del"))
    assert r.json()["outcome"] == "canceled" and the_subscription().status == S.CANCELED


@pytest.mark.django_db
def test_out_of_order_events_follow_the_subscription_read_back(client, reader, fake_stripe, stripe_plan):
    # Stripe already recovered the payment; the older "updated: past_due" event arrives after "invoice.paid"
    remote = fake_stripe.subscription("sub_1", user_id=reader.pk)
    stale_copy = {**remote, "status": "past_due"}
    signed_post(client, checkout_completed(reader))
    r = signed_post(client, stripe_event("customer.subscription.updated", stale_copy, event_id="evt_old"))
    assert r.status_code == 200
    assert the_subscription().status == S.ACTIVE  # the event's copy was not trusted
    # a "deleted" arriving before "created": nothing to create, and the later "created" sees the truth
    fake_stripe.subscription("sub_2", user_id=reader.pk, status="canceled", ended_at=int(time.time()))
    r = signed_post(client, stripe_event("customer.subscription.deleted", {"id": "sub_2"}, event_id="evt_d2"))
    assert r.json()["outcome"].startswith("ignored")
    r = signed_post(client, stripe_event("customer.subscription.created", {"id": "sub_2"}, event_id="evt_c2"))
    assert r.json()["outcome"].startswith("ignored")
    assert Subscription.objects.filter(provider_subscription_id="sub_2").count() == 0


@pytest.mark.django_db
def test_unhandled_event_types_are_recorded_and_acknowledged(client, fake_stripe):
    r = signed_post(client, stripe_event("customer.created", {"id": "cus_1"}, event_id="evt_other"))
    assert r.status_code == 200 and r.json()["outcome"] == "ignored: customer.created"
    assert ProviderEvent.objects.filter(event_id="evt_other").exists()


@pytest.mark.django_db
def test_when_stripe_cannot_be_read_the_event_is_not_recorded_so_the_retry_processes_it(
    client, reader, fake_stripe, stripe_plan
):
    fake_stripe.subscription("sub_1", user_id=reader.pk)
    fake_stripe.down = True
    event = checkout_completed(reader)
    response = signed_post(client, event)
    assert response.status_code == 503 and response.json()["code"] == "billing_unavailable"
    assert not ProviderEvent.objects.exists() and not Subscription.objects.exists()
    fake_stripe.down = False
    assert signed_post(client, event).json()["outcome"] == "activated"


@pytest.mark.django_db
def test_an_event_for_a_subscription_stripe_does_not_know_is_recorded_and_ignored(client, reader, fake_stripe):
    response = signed_post(client, checkout_completed(reader, sub_id="sub_unknown"))
    assert response.status_code == 200 and response.json()["outcome"] == "ignored: sub_unknown not found at Stripe"
    assert ProviderEvent.objects.count() == 1


@pytest.mark.django_db
def test_reader_cancel_and_resume_are_sent_to_stripe(api_client, reader, fake_stripe, stripe_plan):
    fake_stripe.subscription("sub_1", user_id=reader.pk)
    signed_post(Client(), checkout_completed(reader))
    api_client.force_authenticate(reader)
    assert api_client.post("/api/v1/me/subscription/cancel/").json()["cancel_at_period_end"] is True
    assert fake_stripe.subscriptions["sub_1"]["cancel_at_period_end"] is True
    assert api_client.post("/api/v1/me/subscription/resume/").json()["cancel_at_period_end"] is False
    assert fake_stripe.subscriptions["sub_1"]["cancel_at_period_end"] is False
    # Stripe then echoes the change back: nothing more happens
    remote = fake_stripe.subscriptions["sub_1"]
    r = signed_post(Client(), stripe_event("customer.subscription.updated", dict(remote), event_id="evt_echo"))
    assert r.json()["outcome"] == "unchanged"


@pytest.mark.django_db
def test_staff_cancel_now_cancels_at_stripe_and_refunds_the_last_payment(reader, editor, fake_stripe, stripe_plan):
    from paywall.services import subscription_cancel_now

    fake_stripe.subscription("sub_1", user_id=reader.pk, latest_invoice="in_1")
    fake_stripe.invoice_payments["in_1"] = [
        {"id": "inpay_1", "object": "invoice_payment", "status": "paid", "payment": {"payment_intent": "pi_1"}}
    ]
    signed_post(Client(), checkout_completed(reader))
    subscription_cancel_now(subscription=the_subscription(), actor=editor)
    assert ("DELETE", "/v1/subscriptions/sub_1") in [(r["method"], r["path"]) for r in fake_stripe.requests]
    assert [r["payment_intent"] for r in fake_stripe.refunds] == ["pi_1"]
    sub = the_subscription()
    assert sub.status == S.CANCELED
    assert SubscriptionEvent.objects.filter(subscription=sub).last().note == "canceled now, refunded"


@pytest.mark.django_db
def test_current_api_shape_period_on_items_and_invoice_parent(client, reader, fake_stripe, stripe_plan):
    """API versions since 2025-03 keep the period on the subscription item and the subscription id of an invoice
    under `parent.subscription_details`."""
    start = int(time.time())
    remote = fake_stripe.subscription("sub_1", user_id=reader.pk)
    del remote["current_period_start"], remote["current_period_end"]
    remote["items"]["data"][0].update(current_period_start=start, current_period_end=start + 7 * 86400)
    signed_post(client, checkout_completed(reader))
    assert the_subscription().current_period_end == datetime.fromtimestamp(start + 7 * 86400, tz=UTC)
    remote["items"]["data"][0].update(current_period_start=start + 7 * 86400, current_period_end=start + 14 * 86400)
    invoice = {"id": "in_2", "object": "invoice", "parent": {"subscription_details": {"subscription": "sub_1"}}}
    r = signed_post(client, stripe_event("invoice.paid", invoice, event_id="evt_paid_2"))
    assert r.json()["outcome"] == "renewed"
    assert the_subscription().current_period_end == datetime.fromtimestamp(start + 14 * 86400, tz=UTC)


# --- concurrency (PostgreSQL) -------------------------------------------------------------------------------------


def _post_concurrently(events: list[dict]) -> list:
    barrier = threading.Barrier(len(events))
    results: list = [None] * len(events)

    def worker(i):
        try:
            barrier.wait()
            results[i] = signed_post(Client(), events[i])
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(events))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="thread concurrency is exercised on PostgreSQL (CI)"
)


def _reader_with_a_stripe_subscription(fake_stripe):
    """A verified reader whose Stripe subscription `sub_1` exists (transactional tests flush the migration's plans)."""
    PlanFactory(code="weekly", provider_price_id="price_weekly")
    Plan.objects.filter(code="weekly").update(provider_price_id="price_weekly")
    user = UserFactory(email_verified_at=timezone.now())
    return user, fake_stripe.subscription("sub_1", user_id=user.pk)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_replay_ten_times_concurrently_processes_once(fake_stripe):
    user, _ = _reader_with_a_stripe_subscription(fake_stripe)
    event = checkout_completed(user)
    results = _post_concurrently([event] * 10)
    assert all(getattr(r, "status_code", None) == 200 for r in results), results
    outcomes = sorted(r.json()["outcome"] for r in results)
    assert outcomes == ["activated"] + ["duplicate"] * 9
    assert ProviderEvent.objects.count() == 1
    assert Subscription.objects.count() == 1
    assert SubscriptionEvent.objects.count() == 1


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_different_events_for_one_new_subscription_concurrently_create_it_once(fake_stripe):
    user, remote = _reader_with_a_stripe_subscription(fake_stripe)
    events = [checkout_completed(user, event_id="evt_a")]
    events += [stripe_event("customer.subscription.created", dict(remote), event_id=f"evt_c{i}") for i in range(4)]
    invoice = {"id": "in_1", "object": "invoice", "subscription": "sub_1"}
    events += [stripe_event("invoice.paid", invoice, event_id=f"evt_p{i}") for i in range(5)]
    results = _post_concurrently(events)
    assert all(getattr(r, "status_code", None) == 200 for r in results), results
    assert ProviderEvent.objects.count() == 10
    assert Subscription.objects.count() == 1
    assert SubscriptionEvent.objects.count() == 1
