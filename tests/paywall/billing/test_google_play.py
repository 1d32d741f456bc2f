"""Google Play: linking a purchase against a stand-in Android Publisher API (the service account's token from a
stand-in token endpoint), acknowledgement, the Pub/Sub push's OIDC token (signed here, Google's certificates served
by the stand-in) and each developer notification resolved by reading the purchase again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from paywall.models import ProviderEvent, StorePurchase, Subscription
from tests.accounts.factories import UserFactory
from tests.paywall.billing.conftest import nothing_recorded, templates_sent
from tests.paywall.billing.stores import PACKAGE_NAME, play_notification, play_purchase
from tests.paywall.gifts import at_once

pytestmark = pytest.mark.django_db
S = Subscription.Status
TOKEN = "play-token-" + "x" * 150  # real tokens are long: longer than a provider id column
EXPIRY = datetime.now(UTC) + timedelta(days=7)  # the period's end, as Google reports it until a renewal


def _linked(api_client, reader, play) -> Subscription:
    play.purchases[TOKEN] = play_purchase(expiry=EXPIRY)
    response = play.link(api_client, reader, TOKEN)
    assert response.status_code == 200, response.content
    return Subscription.objects.get()


def test_a_purchase_token_links_the_purchase_and_acknowledges_it(api_client, reader, play):
    sub = _linked(api_client, reader, play)
    body = api_client.get("/api/v1/me/subscription/").json()
    assert (body["status"], body["provider"], body["managed_by_store"], body["access"]) == (
        "active",
        "google_play",
        True,
        True,
    )
    assert body["manage_url"] == (
        f"https://play.google.com/store/account/subscriptions?sku=news.weekly&package={PACKAGE_NAME}"
    )
    assert sub.current_period_end > datetime.now(UTC) + timedelta(days=6)
    assert StorePurchase.objects.get().token == TOKEN
    [ack] = play.acknowledgements()
    assert "/purchases/subscriptions/news.weekly/tokens/" in ack["path"]
    assert play.purchases[TOKEN]["acknowledgementState"] == "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED"
    assert len(play.api.calls("POST", "/token")) >= 1  # the service account's own token, from its token_uri
    assert templates_sent() == ["paywall_payment_receipt"]


def test_linking_the_same_purchase_again_is_a_no_op(api_client, reader, play):
    _linked(api_client, reader, play)
    again = play.link(api_client, reader, TOKEN)
    assert again.status_code == 200 and again.json()["status"] == "active"
    assert Subscription.objects.count() == 1 and len(play.acknowledgements()) == 1


def test_a_purchase_linked_to_another_account_is_refused(api_client, reader, play):
    _linked(api_client, reader, play)
    response = play.link(api_client, UserFactory(), TOKEN)
    assert response.status_code == 409 and response.json()["code"] == "purchase_linked_elsewhere"
    assert list(Subscription.objects.values_list("user_id", flat=True)) == [reader.pk]


def test_a_purchase_made_for_another_account_is_refused(api_client, reader, play):
    play.purchases[TOKEN] = play_purchase(account=str(UserFactory().uuid))
    response = play.link(api_client, reader, TOKEN)
    assert response.status_code == 409 and response.json()["code"] == "account_token_mismatch"
    assert nothing_recorded() and play.acknowledgements() == []


@pytest.mark.parametrize(
    ("purchase", "product_id", "field"),
    [(None, "news.weekly", "purchase_token"), (play_purchase(), "news.other", "product_id")],
)
def test_an_unknown_token_or_another_product_is_a_400_naming_it(api_client, reader, play, purchase, product_id, field):
    if purchase is not None:
        play.purchases[TOKEN] = purchase
    response = play.link(api_client, reader, TOKEN, product_id=product_id)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == field
    assert nothing_recorded()


def test_google_play_down_is_a_503(api_client, reader, play):
    play.down = True
    response = play.link(api_client, reader, TOKEN)
    assert response.status_code == 503 and response.json()["code"] == "billing_unavailable"
    assert nothing_recorded()


# --- real-time developer notifications ------------------------------------------------------------------------------


def _in_days(n: int) -> datetime:
    return datetime.now(UTC) + timedelta(days=n)


# the purchase as Google then reports it, and the notification type ->
#   (status, cancel_at_period_end, access, the email it sends)
NOTIFICATIONS = {
    "renewed": ((lambda: play_purchase(expiry=_in_days(14), acknowledged=True), 2), ("active", False, True, "receipt")),
    "canceled": (
        (lambda: play_purchase(state="SUBSCRIPTION_STATE_CANCELED", auto_renew=False, expiry=EXPIRY), 3),
        ("active", True, True, "canceled"),
    ),
    "grace period": (
        (lambda: play_purchase(state="SUBSCRIPTION_STATE_IN_GRACE_PERIOD", expiry=EXPIRY), 6),
        ("past_due", False, True, "payment_failed"),
    ),
    "on hold": (
        (lambda: play_purchase(state="SUBSCRIPTION_STATE_ON_HOLD", expiry=EXPIRY), 5),
        ("past_due", False, True, "payment_failed"),
    ),
    "expired": (
        (lambda: play_purchase(state="SUBSCRIPTION_STATE_EXPIRED", expiry=_in_days(-1)), 13),
        ("expired", False, False, "expired"),
    ),
    "revoked": (
        (lambda: play_purchase(state="SUBSCRIPTION_STATE_EXPIRED", expiry=EXPIRY), 12),
        ("expired", False, False, "expired"),
    ),
}


@pytest.mark.parametrize("case", NOTIFICATIONS)
def test_each_notification_is_resolved_by_reading_the_purchase(client, api_client, reader, play, case):
    (purchase, notification_type), expected = NOTIFICATIONS[case]
    sub = _linked(api_client, reader, play)
    play.purchases[TOKEN] = purchase()
    response = play.notify(client, play_notification(TOKEN, notification_type))
    assert response.status_code == 200, response.content
    sub.refresh_from_db()
    me = api_client.get("/api/v1/me/subscription/").json()
    assert (sub.status, sub.cancel_at_period_end, me["access"]) == expected[:3]
    assert templates_sent() == [
        "paywall_payment_receipt",
        f"paywall_{expected[3].replace('receipt', 'payment_receipt')}",
    ]
    assert ProviderEvent.objects.get().type == f"subscriptionNotification:{notification_type}"


def test_a_replayed_message_is_acknowledged_and_ignored(client, api_client, reader, play):
    _linked(api_client, reader, play)
    play.purchases[TOKEN] = play_purchase(expiry=_in_days(14), acknowledged=True)
    notification = play_notification(TOKEN, 2)
    first = play.notify(client, notification, message_id="m-1")
    second = play.notify(client, notification, message_id="m-1")
    assert (first.json()["outcome"], second.json()["outcome"]) == ("renewed", "duplicate")
    assert ProviderEvent.objects.count() == 1
    assert templates_sent() == ["paywall_payment_receipt", "paywall_payment_receipt"]


@pytest.mark.parametrize(
    ("notification", "outcome"),
    [
        ({"version": "1.0", "packageName": PACKAGE_NAME, "testNotification": {"version": "1.0"}}, "test notification"),
        (
            {"packageName": PACKAGE_NAME, "oneTimeProductNotification": {"purchaseToken": "t", "sku": "s"}},
            "ignored: not a subscription notification",
        ),
    ],
)
def test_test_and_unknown_notifications_are_recorded_and_acknowledged(client, play, notification, outcome):
    response = play.notify(client, notification)
    assert response.status_code == 200 and response.json()["outcome"] == outcome
    assert ProviderEvent.objects.get().outcome == outcome


def test_a_notification_before_the_link_links_by_the_obfuscated_account_id(client, reader, play):
    play.purchases[TOKEN] = play_purchase(account=str(reader.uuid))
    response = play.notify(client, play_notification(TOKEN, 4))  # SUBSCRIPTION_PURCHASED
    assert response.json()["outcome"] == "linked by account token: activated"
    assert Subscription.objects.get().user == reader and len(play.acknowledgements()) == 1


def test_a_notification_about_a_purchase_of_nobody_is_recorded_and_ignored(client, play):
    play.purchases[TOKEN] = play_purchase()
    response = play.notify(client, play_notification(TOKEN, 4))
    assert response.json()["outcome"] == "ignored: purchase not linked to an account"
    assert ProviderEvent.objects.count() == 1 and not Subscription.objects.exists()
    assert play.acknowledgements() == []


def test_google_play_down_answers_503_and_records_nothing(client, reader, play):
    play.down = True
    response = play.notify(client, play_notification(TOKEN, 2))
    assert response.status_code == 503
    assert nothing_recorded()


REFUSED_TOKENS = {
    "no token": lambda keys: "",
    "another audience": lambda keys: keys.oidc_token(audience="https://attacker.example/"),
    "another service account": lambda keys: keys.oidc_token(email="someone@attacker.iam.gserviceaccount.com"),
    "email not verified": lambda keys: keys.oidc_token(email_verified=False),
    "expired": lambda keys: keys.oidc_token(iat=1_700_000_000, exp=1_700_003_600),
    "signed by another key": lambda keys: keys.oidc_token(
        key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ),
}


@pytest.mark.parametrize("case", REFUSED_TOKENS)
def test_a_push_whose_oidc_token_is_refused_is_a_401_and_records_nothing(client, reader, play, case):
    play.purchases[TOKEN] = play_purchase(account=str(reader.uuid))
    response = play.notify(client, play_notification(TOKEN, 4), token=REFUSED_TOKENS[case](play.keys))
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "invalid_signature"
    assert nothing_recorded()


@pytest.mark.parametrize("change", [{"packageName": "com.example.other"}, {"version": "1.0\x00"}])
def test_a_notification_for_another_app_or_holding_a_nul_is_refused(client, play, change):
    notification = {**play_notification(TOKEN, 4), **change}
    assert play.notify(client, notification).status_code == 401
    assert nothing_recorded()


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_message_act_once(reader, play):
    assert connection.vendor == "postgresql"
    _linked(APIClient(), reader, play)
    play.purchases[TOKEN] = play_purchase(expiry=_in_days(14), acknowledged=True)
    notification = play_notification(TOKEN, 2)
    results = at_once([lambda: play.notify(Client(), notification, message_id="m-1")] * 6)
    assert sorted(r.json()["outcome"] for r in results) == ["duplicate"] * 5 + ["renewed"]
    assert ProviderEvent.objects.count() == 1
    assert templates_sent() == ["paywall_payment_receipt", "paywall_payment_receipt"]
