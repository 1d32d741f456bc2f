"""App Store (StoreKit 2): the real `SignedDataVerifier` runs on JWS signed by a test chain (root, intermediate,
leaf; ES256). Linking a purchase, the refusals (forged, wrong app, expired chain, other environment: nothing
recorded), every notification type through Masthead's states and emails, replays, concurrent deliveries and
out-of-order or missing notifications resolved through a stand-in App Store Server API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from paywall.models import ProviderEvent, StorePurchase, Subscription
from tests.accounts.factories import UserFactory
from tests.paywall.billing.conftest import nothing_recorded, templates_sent
from tests.paywall.billing.stores import AppleChain
from tests.paywall.gifts import at_once

pytestmark = pytest.mark.django_db
S = Subscription.Status


def ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def test_a_signed_transaction_links_the_purchase(api_client, reader, apple):
    # when the app posts the StoreKit 2 transaction it was given
    response = apple.link(api_client, reader, apple.chain.transaction())
    # then the reader has an active App Store subscription, managed in the App Store
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["provider"], body["managed_by_store"], body["access"]) == (
        "active",
        "app_store",
        True,
        True,
    )
    assert body["manage_url"] == "https://apps.apple.com/account/subscriptions"
    sub = Subscription.objects.get()
    assert (sub.provider_subscription_id, sub.plan.code) == ("2000000001", "weekly")
    assert templates_sent() == ["paywall_payment_receipt"]


def test_linking_the_same_purchase_again_is_a_no_op(api_client, reader, apple):
    signed = apple.chain.transaction()
    assert apple.link(api_client, reader, signed).status_code == 200
    again = apple.link(api_client, reader, signed)
    assert again.status_code == 200 and again.json()["status"] == "active"
    assert Subscription.objects.count() == 1 and StorePurchase.objects.count() == 1
    assert templates_sent() == ["paywall_payment_receipt"]


def test_a_purchase_linked_to_another_account_is_refused(api_client, reader, apple):
    signed = apple.chain.transaction()
    assert apple.link(api_client, reader, signed).status_code == 200
    other = UserFactory()
    response = apple.link(api_client, other, signed)
    assert response.status_code == 409 and response.json()["code"] == "purchase_linked_elsewhere"
    assert list(Subscription.objects.values_list("user_id", flat=True)) == [reader.pk]


def test_the_app_account_token_must_be_the_accounts_uuid(api_client, reader, apple):
    # the account's UUID, as GET /api/v1/me/ gives it, is what the app sets as appAccountToken
    api_client.force_authenticate(reader)
    account_uuid = api_client.get("/api/v1/me/").json()["uuid"]
    assert account_uuid == str(reader.uuid)
    other = apple.link(api_client, reader, apple.chain.transaction(appAccountToken=str(UserFactory().uuid)))
    assert other.status_code == 409 and other.json()["code"] == "account_token_mismatch"
    assert nothing_recorded()
    own = apple.link(api_client, reader, apple.chain.transaction(appAccountToken=account_uuid.upper()))
    assert own.status_code == 200 and own.json()["status"] == "active"


def test_an_account_paying_through_stripe_is_told_before_it_pays_twice(api_client, subscriber, apple):
    Subscription.objects.filter(user=subscriber).update(provider="stripe", provider_subscription_id="sub_1")
    api_client.force_authenticate(subscriber)
    assert api_client.get("/api/v1/me/subscription/").json()["provider"] == "stripe"
    response = apple.link(api_client, subscriber, apple.chain.transaction())
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["provider"]) == ("already_subscribed", "stripe")
    assert "Stripe" in response.json()["message"]
    assert not StorePurchase.objects.exists() and Subscription.objects.count() == 1


def test_a_trial_converts_to_the_store_subscription(api_client, trial_reader, apple):
    assert apple.link(api_client, trial_reader, apple.chain.transaction()).status_code == 200
    subscriptions = sorted(Subscription.objects.values_list("provider", "status"))
    assert subscriptions == [("app_store", "active"), ("dev", "expired")]


def test_a_product_without_a_plan_is_a_400_naming_it(api_client, reader, apple):
    response = apple.link(api_client, reader, apple.chain.transaction(productId="news.unknown"))
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "product_id"
    assert nothing_recorded()


@pytest.fixture
def trust(settings, tmp_path):
    """Add a chain's root to the configured roots (so that only what else is wrong with it refuses it)."""

    def add(chain: AppleChain) -> AppleChain:
        path = tmp_path / f"root-{len(settings.APP_STORE_ROOT_CERTIFICATES)}.pem"
        path.write_bytes(chain.root_pem())  # PEM here, DER for the main root: both are read
        settings.APP_STORE_ROOT_CERTIFICATES = [*settings.APP_STORE_ROOT_CERTIFICATES, str(path)]
        return chain

    return add


def expired_chain() -> AppleChain:
    now = datetime.now(UTC)
    return AppleChain(leaf_valid=(now - timedelta(days=400), now - timedelta(days=30)))


# case: (what the app sends, the verifier's reason)
REFUSED_TRANSACTIONS = {
    "forged": (lambda apple, trust: AppleChain().transaction(), "verification_failure"),  # not a configured root
    "other app": (lambda apple, trust: apple.chain.transaction(bundleId="com.other"), "invalid_app_identifier"),
    "expired chain": (lambda apple, trust: trust(expired_chain()).transaction(), "verification_failure"),
    "edited payload": (
        lambda apple, trust: ".".join((*apple.chain.transaction().split(".")[:1], *_payload_of_another(apple))),
        "verification_failure",
    ),
    "production": (lambda apple, trust: apple.chain.transaction(environment="Production"), "invalid_environment"),
    "not a JWS": (lambda apple, trust: "not-a-jws", "verification_failure"),
}


def _payload_of_another(apple) -> list[str]:
    """Another transaction's payload with the first one's signature."""
    first, second = apple.chain.transaction().split("."), apple.chain.transaction(original_id="9").split(".")
    return [second[1], first[2]]


@pytest.mark.parametrize("case", REFUSED_TRANSACTIONS)
def test_a_transaction_the_verifier_refuses_is_a_400_and_records_nothing(api_client, reader, apple, trust, case):
    make, reason = REFUSED_TRANSACTIONS[case]
    response = apple.link(api_client, reader, make(apple, trust))
    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["code"], body["errors"][0]["field"]) == ("invalid_signature", "signed_transaction")
    assert reason in body["message"]
    assert nothing_recorded()


# --- notifications ------------------------------------------------------------------------------------------------

OTID = "2000000001"
NOW = datetime.now(UTC)


def _linked(api_client, reader, apple) -> Subscription:
    assert apple.link(api_client, reader, apple.chain.transaction()).status_code == 200
    return Subscription.objects.get()


def _notify(client, apple, kind, subtype=None, *, status=None, auto_renew=True, **transaction):
    body = apple.chain.notification(
        kind,
        subtype,
        transaction=apple.chain.transaction(**transaction),
        renewal=apple.chain.renewal(auto_renew=auto_renew),
        status=status,
    )
    response = apple.notify(client, body)
    assert response.status_code == 200, response.content
    return response.json()["outcome"]


def _days(n: int) -> int:
    return ms(datetime.now(UTC) + timedelta(days=n))


# notification (type, subtype, data.status, its transaction's fields, auto-renew) ->
#   (status, cancel_at_period_end, access, the email it sends)
NOTIFICATIONS = {
    "renewed": (
        ("DID_RENEW", None, 1, lambda: {"expiresDate": _days(14)}, True),
        ("active", False, True, "paywall_payment_receipt"),
    ),
    "auto-renew off": (
        ("DID_CHANGE_RENEWAL_STATUS", "AUTO_RENEW_DISABLED", 1, dict, False),
        ("active", True, True, "paywall_canceled"),
    ),
    "failed, grace period": (
        ("DID_FAIL_TO_RENEW", "GRACE_PERIOD", 4, dict, True),
        ("past_due", False, True, "paywall_payment_failed"),
    ),
    "failed, billing retry": (
        ("DID_FAIL_TO_RENEW", None, 3, dict, True),
        ("past_due", False, True, "paywall_payment_failed"),
    ),
    "expired": (
        ("EXPIRED", "VOLUNTARY", 2, lambda: {"expiresDate": _days(-1), "purchaseDate": _days(-8)}, False),
        ("expired", False, False, "paywall_expired"),
    ),
    "refunded": (
        ("REFUND", None, 5, lambda: {"revocationDate": _days(0), "revocationReason": 0}, True),
        ("expired", False, False, "paywall_expired"),
    ),
    "revoked": (
        ("REVOKE", None, 5, lambda: {"revocationDate": _days(0)}, True),
        ("expired", False, False, "paywall_expired"),
    ),
}


@pytest.mark.parametrize("case", NOTIFICATIONS)
def test_each_notification_moves_the_subscription_and_sends_stripes_email(client, api_client, reader, apple, case):
    (kind, subtype, status, fields, auto_renew), expected = NOTIFICATIONS[case]
    # given a linked App Store subscription
    sub = _linked(api_client, reader, apple)
    # when the App Store notifies
    _notify(client, apple, kind, subtype, status=status, auto_renew=auto_renew, **fields())
    # then
    sub.refresh_from_db()
    api_client.force_authenticate(reader)
    me = api_client.get("/api/v1/me/subscription/").json()
    assert (sub.status, sub.cancel_at_period_end, me["access"]) == expected[:3]
    assert templates_sent() == ["paywall_payment_receipt", expected[3]]
    assert ProviderEvent.objects.get().type == ":".join(filter(None, (kind, subtype)))


def test_a_renewal_after_a_failed_one_restores_active_and_auto_renew_on_resumes(client, api_client, reader, apple):
    sub = _linked(api_client, reader, apple)
    _notify(client, apple, "DID_FAIL_TO_RENEW", status=3)
    _notify(client, apple, "DID_RENEW", status=1, expiresDate=_days(14))
    sub.refresh_from_db()
    assert sub.status == S.ACTIVE and sub.past_due_since is None
    _notify(client, apple, "DID_CHANGE_RENEWAL_STATUS", "AUTO_RENEW_DISABLED", status=1, auto_renew=False)
    outcome = _notify(client, apple, "DID_CHANGE_RENEWAL_STATUS", "AUTO_RENEW_ENABLED", status=1)
    sub.refresh_from_db()
    assert outcome == "resumed" and not sub.cancel_at_period_end
    assert list(sub.events.values_list("note", flat=True)) == [
        "paid subscription started",
        "payment failed",
        "renewed",
        "cancel at period end",
        "resumed",
    ]


def test_a_replayed_notification_is_acknowledged_and_ignored(client, api_client, reader, apple):
    _linked(api_client, reader, apple)
    body = apple.chain.notification("DID_RENEW", transaction=apple.chain.transaction(expiresDate=_days(14)), status=1)
    first, second = apple.notify(client, body), apple.notify(client, body)
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json()["outcome"], second.json()["outcome"]) == ("renewed", "duplicate")
    assert ProviderEvent.objects.count() == 1
    assert templates_sent() == ["paywall_payment_receipt", "paywall_payment_receipt"]


@pytest.mark.parametrize(
    ("kind", "outcome"), [("TEST", "test notification"), ("PRICE_INCREASE", "ignored: PRICE_INCREASE")]
)
def test_test_and_unknown_notifications_are_recorded_and_acknowledged(client, api_client, reader, apple, kind, outcome):
    sub = _linked(api_client, reader, apple)
    body = apple.chain.notification(kind, transaction=None if kind == "TEST" else apple.chain.transaction())
    response = apple.notify(client, body)
    assert response.status_code == 200 and response.json()["outcome"] == outcome
    assert ProviderEvent.objects.get().outcome == outcome
    assert Subscription.objects.get() == sub and sub.events.count() == 1


def test_an_out_of_order_notification_is_resolved_from_the_api(client, api_client, reader, apple):
    sub = _linked(api_client, reader, apple)
    renewed = apple.chain.transaction(expiresDate=_days(14))
    late_failure = apple.chain.notification(
        "DID_FAIL_TO_RENEW", transaction=apple.chain.transaction(), status=3, signed_at=NOW - timedelta(hours=1)
    )
    apple.statuses[OTID] = (1, renewed, apple.chain.renewal())
    # given the renewal arrived, when the older failure arrives after it
    apple.notify(client, apple.chain.notification("DID_RENEW", transaction=renewed, status=1))
    response = apple.notify(client, late_failure)
    # then the API's answer (active, renewed) stands: the late failure did not make it past_due
    assert response.json()["outcome"].startswith("out of order, resolved from the API")
    sub.refresh_from_db()
    assert sub.status == S.ACTIVE and sub.current_period_end > datetime.now(UTC) + timedelta(days=13)
    assert len(apple.api.calls("GET", f"/inApps/v1/subscriptions/{OTID}")) == 1


def test_an_out_of_order_notification_is_ignored_when_the_api_does_not_know_better(client, api_client, reader, apple):
    sub = _linked(api_client, reader, apple)
    late = apple.chain.notification(
        "EXPIRED", transaction=apple.chain.transaction(), status=2, signed_at=NOW - timedelta(hours=1)
    )
    assert apple.notify(client, late).json()["outcome"] == "ignored: older than the state already applied"
    sub.refresh_from_db()
    assert sub.status == S.ACTIVE


def test_a_notification_before_the_link_creates_the_subscription_by_app_account_token(client, reader, apple):
    # given the app has not posted the purchase yet, and the App Store has renewed it since
    apple.statuses[OTID] = (1, apple.chain.transaction(expiresDate=_days(10)), apple.chain.renewal())
    transaction = apple.chain.transaction(appAccountToken=str(reader.uuid))
    # when a DID_RENEW arrives first (its SUBSCRIBED missing)
    outcome = apple.notify(client, apple.chain.notification("DID_RENEW", transaction=transaction, status=1))
    # then the purchase is linked to the account its appAccountToken names, in the state the API gives
    assert outcome.json()["outcome"] == "linked by account token: activated"
    sub = Subscription.objects.get(user=reader)
    assert sub.provider == "app_store" and sub.current_period_end > datetime.now(UTC) + timedelta(days=9)
    assert len(apple.api.calls("GET", "/inApps/v1/subscriptions/")) == 1


def test_a_notification_about_a_purchase_of_nobody_is_recorded_and_ignored(client, apple):
    body = apple.chain.notification("SUBSCRIBED", "INITIAL_BUY", transaction=apple.chain.transaction())
    response = apple.notify(client, body)
    assert response.json()["outcome"] == "ignored: purchase not linked to an account"
    assert ProviderEvent.objects.count() == 1 and not Subscription.objects.exists()


def test_the_api_unreachable_answers_503_and_records_nothing(client, reader, apple, settings):
    settings.APP_STORE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    transaction = apple.chain.transaction(appAccountToken=str(reader.uuid))
    response = apple.notify(client, apple.chain.notification("DID_RENEW", transaction=transaction, status=1))
    assert response.status_code == 503 and response.json()["code"] == "billing_unavailable"
    assert nothing_recorded()


# case: (the notification, the settings it is sent against)
REFUSED_NOTIFICATIONS = {
    "forged": lambda apple, trust: AppleChain().notification("DID_RENEW", transaction=AppleChain().transaction()),
    "other app": lambda apple, trust: apple.chain.notification("TEST", bundle_id="com.example.other"),
    "expired chain": lambda apple, trust: trust(expired_chain()).notification("TEST"),
    "sandbox in production": lambda apple, trust: apple.chain.notification("TEST"),
    "not a notification": lambda apple, trust: {"signedPayload": "x.y.z"},
    "no signedPayload": lambda apple, trust: {"notificationType": "DID_RENEW"},
}


@pytest.mark.parametrize("case", REFUSED_NOTIFICATIONS)
def test_a_notification_the_verifier_refuses_is_a_400_and_records_nothing(client, apple, trust, settings, case):
    body = REFUSED_NOTIFICATIONS[case](apple, trust)
    if case == "sandbox in production":
        settings.APP_STORE_ENVIRONMENT = "Production"
    response = apple.notify(client, body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_signature"
    assert nothing_recorded()


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_notification_act_once(reader, apple):
    assert connection.vendor == "postgresql"
    _linked(APIClient(), reader, apple)
    body = apple.chain.notification("DID_RENEW", transaction=apple.chain.transaction(expiresDate=_days(14)), status=1)
    results = at_once([lambda: apple.notify(Client(), body)] * 6)
    assert [r.status_code for r in results] == [200] * 6
    assert sorted(r.json()["outcome"] for r in results) == ["duplicate"] * 5 + ["renewed"]
    assert ProviderEvent.objects.count() == 1
    assert templates_sent() == ["paywall_payment_receipt", "paywall_payment_receipt"]


@pytest.mark.django_db(transaction=True)
def test_two_accounts_linking_one_purchase_at_once_get_it_once(apple):
    readers = [UserFactory(), UserFactory()]
    signed = apple.chain.transaction()
    results = at_once([lambda user=user: apple.link(APIClient(), user, signed) for user in readers])
    assert sorted(r.status_code for r in results) == [200, 409]
    assert StorePurchase.objects.count() == 1 and Subscription.objects.count() == 1


# --- the reader's view --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["cancel", "resume"])
def test_cancel_and_resume_of_a_store_subscription_answer_409_with_the_manage_url(api_client, reader, apple, action):
    sub = _linked(api_client, reader, apple)
    response = api_client.post(f"/api/v1/me/subscription/{action}/")
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["manage_url"]) == ("managed_by_store", "https://apps.apple.com/account/subscriptions")
    sub.refresh_from_db()
    assert not sub.cancel_at_period_end and sub.events.count() == 1


def test_store_purchases_are_off_until_configured(client, api_client, reader, apple, settings):
    settings.APP_STORE_BUNDLE_ID = ""
    response = apple.link(api_client, reader, apple.chain.transaction())
    assert response.status_code == 404 and response.json()["code"] == "store_disabled"
    assert apple.notify(client, apple.chain.notification("TEST")).status_code == 400
    assert nothing_recorded()


def test_graphql_shows_where_the_subscription_is_managed(api_client, graphql_client, reader, apple):
    _linked(api_client, reader, apple)
    graphql_client.force_authenticate(reader)
    data = graphql_client("{ mySubscription { status provider managedByStore manageUrl } }").json()["data"]
    assert data["mySubscription"] == {
        "status": "active",
        "provider": "app_store",
        "managedByStore": True,
        "manageUrl": "https://apps.apple.com/account/subscriptions",
    }


def test_a_purchase_that_lapsed_here_and_renews_at_the_store_starts_again(client, api_client, reader, apple):
    # given the subscription expired (the store's billing retry ran longer than Masthead's grace)
    old = _linked(api_client, reader, apple)
    _notify(client, apple, "EXPIRED", "BILLING_RETRY", status=2, expiresDate=_days(-1), purchaseDate=_days(-8))
    # when the store recovers the payment later
    outcome = _notify(client, apple, "DID_RENEW", "BILLING_RECOVERY", status=1, expiresDate=_days(7))
    # then the reader has access again, in a new subscription of the same purchase
    assert outcome == "activated"
    current = Subscription.objects.exclude(pk=old.pk).get()
    assert (current.status, current.provider_subscription_id) == ("active", OTID)
    assert Subscription.objects.get(pk=old.pk).status == S.EXPIRED
    api_client.force_authenticate(reader)
    assert api_client.get("/api/v1/me/subscription/").json()["access"] is True
