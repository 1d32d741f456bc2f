"""Google Play subscriptions, through the Android Publisher API with a service account (`google-auth`).

The app posts `{purchase_token, product_id}`; the purchase is read with `purchases.subscriptionsv2.get`, linked to
the account and then acknowledged (`purchases.subscriptions.acknowledge`; Google refunds a purchase left
unacknowledged for three days). Real-time developer notifications arrive as Pub/Sub push requests at
`POST /api/v1/billing/webhooks/google-play/`: the push's OIDC token is verified (Google's signature, fetched from
`GOOGLE_OIDC_CERTS_URL`; the audience; the push service account's email), the message is recorded once by its
`messageId`, and the purchase is read again from the API (the notification is only a hint, so order does not
matter). The purchase id is the SHA-256 of the token (tokens are longer than a provider id column).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from datetime import datetime
from urllib.parse import quote

import requests
from django.conf import settings
from django.utils import timezone
from google.auth import exceptions as google_exceptions
from google.auth.transport import requests as google_requests
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import id_token, service_account

from cms.core.exceptions import ApplicationError, ServiceUnavailable
from paywall.services import store
from paywall.services.errors import PaywallErrorCode

from .base import StoreApiUnavailable, StoreProvider, WebhookRejected
from .events import provider_event_process

logger = logging.getLogger(__name__)

NAME = "google_play"
SCOPE = "https://www.googleapis.com/auth/androidpublisher"
_STATES = {
    "SUBSCRIPTION_STATE_ACTIVE": store.StoreStatus.ACTIVE,
    "SUBSCRIPTION_STATE_CANCELED": store.StoreStatus.ACTIVE,  # auto-renew off, still paid until expiryTime
    "SUBSCRIPTION_STATE_IN_GRACE_PERIOD": store.StoreStatus.GRACE,
    "SUBSCRIPTION_STATE_ON_HOLD": store.StoreStatus.RETRY,
    "SUBSCRIPTION_STATE_PAUSED": store.StoreStatus.RETRY,
    "SUBSCRIPTION_STATE_EXPIRED": store.StoreStatus.EXPIRED,
}
REVOKED_TYPES = {12}  # SUBSCRIPTION_REVOKED


class GooglePlayUnavailable(StoreApiUnavailable):
    pass


def google_play_enabled() -> bool:
    return bool(settings.GOOGLE_PLAY_PACKAGE_NAME)


def purchase_id_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session() -> AuthorizedSession:
    credentials = service_account.Credentials.from_service_account_file(
        settings.GOOGLE_PLAY_SERVICE_ACCOUNT_FILE, scopes=[SCOPE]
    )
    return AuthorizedSession(credentials)


def _url(path: str) -> str:
    package = quote(settings.GOOGLE_PLAY_PACKAGE_NAME, safe="")
    return f"{settings.GOOGLE_PLAY_API_BASE.rstrip('/')}/androidpublisher/v3/applications/{package}/purchases/{path}"


def _call(method: str, path: str, **kwargs) -> requests.Response:
    try:
        response = _session().request(method, _url(path), timeout=30, **kwargs)
    except (requests.RequestException, google_exceptions.GoogleAuthError, OSError) as exc:
        raise GooglePlayUnavailable(f"Android Publisher API unreachable: {exc}") from exc
    if response.status_code >= 500 or response.status_code in (401, 403, 429):
        raise GooglePlayUnavailable(f"Android Publisher API: {response.status_code}")
    return response


def google_play_purchase_get(token: str) -> dict | None:
    """`purchases.subscriptionsv2.get`: the purchase, or None when Google does not know the token."""
    response = _call("GET", f"subscriptionsv2/tokens/{quote(token, safe='')}")
    if response.status_code in (400, 404, 410):
        return None
    try:
        data = response.json()
    except ValueError as exc:
        raise GooglePlayUnavailable("Android Publisher API answered no JSON.") from exc
    return data if isinstance(data, dict) else None


def google_play_acknowledge(*, token: str, product_id: str) -> None:
    """`purchases.subscriptions.acknowledge`."""
    path = f"subscriptions/{quote(product_id, safe='')}/tokens/{quote(token, safe='')}:acknowledge"
    response = _call("POST", path, json={})
    if response.status_code >= 300:
        raise GooglePlayUnavailable(f"acknowledge answered {response.status_code}")


def _time(value) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _line_item(purchase: dict) -> dict:
    items = purchase.get("lineItems")
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


def _state(token: str, purchase: dict, *, revoked: bool = False) -> store.StoreState:
    item = _line_item(purchase)
    status = _STATES.get(purchase.get("subscriptionState"), store.StoreStatus.PENDING)
    expiry = _time(item.get("expiryTime"))
    if status == store.StoreStatus.ACTIVE and expiry is not None and expiry <= timezone.now():
        status = store.StoreStatus.EXPIRED
    if revoked:
        status = store.StoreStatus.REVOKED
    plan = item.get("autoRenewingPlan")
    auto_renew = bool(plan.get("autoRenewEnabled")) if isinstance(plan, dict) else False
    account = purchase.get("externalAccountIdentifiers")
    account_id = account.get("obfuscatedExternalAccountId") if isinstance(account, dict) else None
    return store.StoreState(
        provider=NAME,
        purchase_id=purchase_id_of(token),
        product_id=str(item.get("productId") or ""),
        status=status,
        period_start=None,  # the API gives the purchase's start, not the period's: a renewal follows the last period
        period_end=expiry,
        auto_renew=auto_renew,
        signed_at=timezone.now(),  # read from the API just now: the current state
        account_token=account_id if isinstance(account_id, str) and account_id else None,
    )


def _acknowledge_if_pending(*, token: str, purchase: dict, state: store.StoreState) -> None:
    if purchase.get("acknowledgementState") == "ACKNOWLEDGEMENT_STATE_PENDING" and state.status in store.LIVE_STORE:
        google_play_acknowledge(token=token, product_id=state.product_id)


def google_play_purchase_link(*, user, purchase_token: str, product_id: str):
    """Read the purchase from Google Play, link its subscription to `user`, then acknowledge it."""
    if not google_play_enabled():
        raise ApplicationError(
            "Google Play purchases are not enabled.", code=PaywallErrorCode.STORE_DISABLED, status=404
        )
    try:
        purchase = google_play_purchase_get(purchase_token)
        if purchase is None:
            raise ApplicationError("Google Play does not know this purchase token.", field="purchase_token")
        state = _state(purchase_token, purchase)
        if state.product_id != product_id:
            raise ApplicationError("The purchase is not of this product.", field="product_id")
        if state.status == store.StoreStatus.PENDING:
            raise ApplicationError("The purchase is not paid yet.", code="purchase_pending", field="purchase_token")
        subscription, _ = store.store_purchase_link(user=user, state=state, token=purchase_token)
        _acknowledge_if_pending(token=purchase_token, purchase=purchase, state=state)
    except StoreApiUnavailable as exc:
        logger.warning("google play link failed: %s", exc)
        raise ServiceUnavailable(
            "Google Play is unavailable, retry shortly.", code=PaywallErrorCode.BILLING_UNAVAILABLE
        ) from exc
    return subscription


# --- real-time developer notifications (Pub/Sub push) ---------------------------------------------------------


def google_play_notification_parse(request) -> dict:
    """The verified push message as `{"id", "type", "notification"}`; WebhookRejected for anything not genuine: no
    or a bad OIDC token, another audience or service account, a body that is not a Play notification of this app.
    StoreApiUnavailable when Google's signing keys cannot be fetched."""
    if not google_play_enabled() or not settings.GOOGLE_PUBSUB_AUDIENCE:
        raise WebhookRejected("Google Play notifications are not enabled (GOOGLE_PUBSUB_AUDIENCE).")
    _oidc_verify(request.headers.get("Authorization", ""))
    try:
        message = json.loads(request.body)["message"]
        message_id = message["messageId"]
        notification = json.loads(base64.b64decode(message["data"], validate=True))
        if not isinstance(message_id, str) or not message_id or not isinstance(notification, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise WebhookRejected("The body is not a Pub/Sub push of a Play notification.") from exc
    if "\\u0000" in json.dumps(notification):  # PostgreSQL stores no U+0000 in jsonb, and Google sends none
        raise WebhookRejected("The notification contains NUL characters.")
    if notification.get("packageName") != settings.GOOGLE_PLAY_PACKAGE_NAME:
        raise WebhookRejected("The notification is for another app.")
    kinds = [key for key in notification if key.endswith("Notification") and isinstance(notification[key], dict)]
    kind = kinds[0] if kinds else "unknown"
    sub = notification.get(kind) if kinds else {}
    type_ = f"{kind}:{sub.get('notificationType')}" if "notificationType" in sub else kind
    return {"id": message_id, "type": type_[:100], "notification": notification}


def _oidc_verify(header: str) -> None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise WebhookRejected("No OIDC bearer token.")
    try:
        claims = id_token.verify_token(
            token,
            google_requests.Request(),
            audience=settings.GOOGLE_PUBSUB_AUDIENCE,
            certs_url=settings.GOOGLE_OIDC_CERTS_URL,
        )
    except google_exceptions.TransportError as exc:
        raise GooglePlayUnavailable(f"Google's signing keys could not be fetched: {exc}") from exc
    except (ValueError, google_exceptions.GoogleAuthError) as exc:
        raise WebhookRejected(f"The OIDC token was refused: {str(exc)[:150]}") from exc
    expected = settings.GOOGLE_PUBSUB_SERVICE_ACCOUNT_EMAIL
    if not expected or claims.get("email") != expected or claims.get("email_verified") is not True:
        raise WebhookRejected("The OIDC token is not the push subscription's service account.")


def google_play_notification_process(*, event: dict) -> str:
    """Record the message once (by messageId) and resolve it by reading the purchase again."""
    return provider_event_process(
        provider=NAME,
        event_id=event["id"],
        type=event["type"],
        payload=event["notification"],
        dispatch=lambda: _dispatch(event["notification"]),
    )


def _dispatch(notification: dict) -> str:
    if isinstance(notification.get("testNotification"), dict):
        return "test notification"
    sub = notification.get("subscriptionNotification")
    voided = notification.get("voidedPurchaseNotification")
    if isinstance(sub, dict):
        token, revoked = sub.get("purchaseToken"), sub.get("notificationType") in REVOKED_TYPES
    elif isinstance(voided, dict) and voided.get("productType") == 1:  # a refunded subscription
        token, revoked = voided.get("purchaseToken"), True
    else:
        return "ignored: not a subscription notification"
    if not isinstance(token, str) or not token:
        return "ignored: no purchase token"
    purchase = google_play_purchase_get(token)
    if purchase is None:
        return "ignored: purchase unknown to Google Play"
    state = _state(token, purchase, revoked=revoked)
    user = store.store_purchase_user(provider=NAME, purchase_id=state.purchase_id)
    local = store.store_subscription_get(provider=NAME, purchase_id=state.purchase_id)
    if user is None or local is None:
        outcome = store.store_purchase_link_by_account(state=state, token=token)
    else:
        _, outcome = store.store_state_apply(user=user, plan=local.plan, state=state, source="google_play:rtdn")
    if not outcome.startswith(("ignored", "refused")):
        _acknowledge_if_pending(token=token, purchase=purchase, state=state)
    return outcome


class GooglePlayProvider(StoreProvider):
    name, label = NAME, "Google Play"

    def webhook_parse(self, request) -> dict:
        return google_play_notification_parse(request)
