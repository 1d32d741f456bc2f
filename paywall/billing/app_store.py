"""The App Store (StoreKit 2), through Apple's own `app-store-server-library`.

Every signed object (the transaction the app posts, each App Store Server Notification V2 and what the App Store
Server API answers) is verified by the library's `SignedDataVerifier`: the x5c chain up to the Apple root
certificates configured by path (`APP_STORE_ROOT_CERTIFICATES`), the bundle id, the app's Apple id and the
environment. The purchase's `originalTransactionId` is the subscription's provider id.

Notifications (`POST /api/v1/billing/webhooks/app-store/`) are recorded once by `notificationUUID`. A notification
older than the state already applied (out of order), or about a purchase with no subscription yet (its
SUBSCRIBED missing), is resolved by asking the App Store Server API for the subscription's current status
(`AppStoreServerAPIClient`, its host `APP_STORE_API_BASE` when set).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from appstoreserverlibrary.api_client import APIException, AppStoreServerAPIClient
from appstoreserverlibrary.models.Environment import Environment
from appstoreserverlibrary.models.Status import Status
from appstoreserverlibrary.signed_data_verifier import SignedDataVerifier, VerificationException
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.utils import timezone

from cms.core.exceptions import ApplicationError, ServiceUnavailable
from paywall.services.errors import PaywallErrorCode
from paywall.services.store import (
    StoreState,
    StoreStatus,
    store_purchase_link,
    store_purchase_link_by_account,
    store_purchase_user,
    store_state_apply,
    store_subscription_get,
)

from .base import StoreApiUnavailable, StoreProvider, WebhookRejected
from .events import provider_event_process

logger = logging.getLogger(__name__)

NAME = "app_store"
HANDLED_TYPES = {
    "SUBSCRIBED",
    "DID_RENEW",
    "DID_CHANGE_RENEWAL_STATUS",
    "DID_FAIL_TO_RENEW",
    "GRACE_PERIOD_EXPIRED",
    "EXPIRED",
    "REFUND",
    "REVOKE",
    "RENEWAL_EXTENDED",
}
_STATUS = {
    Status.ACTIVE: StoreStatus.ACTIVE,
    Status.BILLING_GRACE_PERIOD: StoreStatus.GRACE,
    Status.BILLING_RETRY: StoreStatus.RETRY,
    Status.EXPIRED: StoreStatus.EXPIRED,
    Status.REVOKED: StoreStatus.REVOKED,
}


def app_store_enabled() -> bool:
    return bool(settings.APP_STORE_BUNDLE_ID)


def _der(path: str) -> bytes:
    """A root certificate file as DER (files may be DER, as Apple publishes them, or PEM)."""
    data = Path(path).read_bytes()
    if b"-----BEGIN CERTIFICATE-----" in data:
        return x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
    return data


def _environment() -> Environment:
    return Environment(settings.APP_STORE_ENVIRONMENT)


def app_store_verifier() -> SignedDataVerifier:
    roots = [_der(path.strip()) for path in settings.APP_STORE_ROOT_CERTIFICATES if path.strip()]
    return SignedDataVerifier(
        roots,
        settings.APP_STORE_ONLINE_CHECKS,
        _environment(),
        settings.APP_STORE_BUNDLE_ID,
        settings.APP_STORE_APP_APPLE_ID,
    )


class AppStoreApiClient(AppStoreServerAPIClient):
    """The library's client; its host is `APP_STORE_API_BASE` when set (the library picks Apple's production or
    sandbox host from the environment and joins every path to it in `_get_full_url`)."""

    def _get_full_url(self, path) -> str:
        return (settings.APP_STORE_API_BASE.rstrip("/") or self._base_url) + path


def app_store_api() -> AppStoreApiClient | None:
    """The App Store Server API client, or None when its key is not configured."""
    if not (settings.APP_STORE_ISSUER_ID and settings.APP_STORE_KEY_ID and settings.APP_STORE_PRIVATE_KEY_PATH):
        return None
    return AppStoreApiClient(
        Path(settings.APP_STORE_PRIVATE_KEY_PATH).read_bytes(),
        settings.APP_STORE_KEY_ID,
        settings.APP_STORE_ISSUER_ID,
        settings.APP_STORE_BUNDLE_ID,
        _environment(),
    )


def _ms(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, tz=UTC) if value else None


def _state(transaction, renewal, status: StoreStatus | None) -> StoreState:
    """A StoreState from a verified transaction (and renewal info, when given) and the store's status, if known."""
    now = timezone.now()
    if status is None:
        expires = _ms(transaction.expiresDate)
        status = StoreStatus.ACTIVE if expires is None or expires > now else StoreStatus.EXPIRED
    if transaction.revocationDate:
        status = StoreStatus.REVOKED
    auto_renew = bool(renewal.rawAutoRenewStatus) if renewal is not None else True
    return StoreState(
        provider=NAME,
        purchase_id=transaction.originalTransactionId or "",
        product_id=transaction.productId or "",
        status=status,
        period_start=_ms(transaction.purchaseDate),
        period_end=_ms(transaction.expiresDate),
        auto_renew=auto_renew,
        signed_at=_ms(transaction.signedDate) or now,
        account_token=transaction.appAccountToken or None,
    )


def _refused(exc: VerificationException, field: str | None) -> ApplicationError:
    return ApplicationError(
        f"The App Store signature was refused ({exc.status.name.lower()}).",
        code=PaywallErrorCode.INVALID_SIGNATURE,
        field=field,
    )


def _disabled() -> ApplicationError:
    return ApplicationError("App Store purchases are not enabled.", code=PaywallErrorCode.STORE_DISABLED, status=404)


def app_store_purchase_link(*, user, signed_transaction: str):
    """Verify a StoreKit 2 signed transaction the app posts and link its subscription to `user`. A transaction that
    has run out is checked against the App Store Server API (a renewal may have followed it)."""
    if not app_store_enabled():
        raise _disabled()
    verifier = app_store_verifier()
    try:
        transaction = verifier.verify_and_decode_signed_transaction(signed_transaction)
    except VerificationException as exc:
        raise _refused(exc, "signed_transaction") from exc
    if not transaction.originalTransactionId:
        raise ApplicationError("Not a subscription transaction.", field="signed_transaction")
    state = _state(transaction, None, None)
    if state.status == StoreStatus.EXPIRED:
        try:
            state = _current_state(transaction.originalTransactionId, verifier) or state
        except StoreApiUnavailable as exc:
            raise ServiceUnavailable(
                "The App Store is unavailable, retry shortly.", code=PaywallErrorCode.BILLING_UNAVAILABLE
            ) from exc
    subscription, _ = store_purchase_link(user=user, state=state)
    return subscription


def _current_state(original_transaction_id: str, verifier: SignedDataVerifier) -> StoreState | None:
    """The subscription's current state from the App Store Server API; None when the API is not configured or
    does not know it. StoreApiUnavailable when it cannot be reached (the webhook then answers 503: Apple retries)."""
    client = app_store_api()
    if client is None:
        return None
    try:
        response = client.get_all_subscription_statuses(original_transaction_id)
    except APIException as exc:
        if exc.http_status_code == 404:
            return None
        raise StoreApiUnavailable(f"App Store Server API: {exc.http_status_code}") from exc
    except OSError as exc:  # requests' connection errors are OSErrors
        raise StoreApiUnavailable(f"App Store Server API unreachable: {exc}") from exc
    for group in response.data or []:
        for item in group.lastTransactions or []:
            if item.originalTransactionId != original_transaction_id or not item.signedTransactionInfo:
                continue
            try:
                transaction = verifier.verify_and_decode_signed_transaction(item.signedTransactionInfo)
                renewal = (
                    verifier.verify_and_decode_renewal_info(item.signedRenewalInfo) if item.signedRenewalInfo else None
                )
            except VerificationException as exc:
                raise StoreApiUnavailable(f"App Store Server API answer refused: {exc.status.name}") from exc
            return _state(transaction, renewal, _STATUS.get(item.status))
    return None


def app_store_notification_parse(request) -> dict:
    """The verified notification `{"signedPayload": ...}` as a plain dict; WebhookRejected if it is not genuine (bad
    signature or chain, another app, the other environment)."""
    if not app_store_enabled():
        raise WebhookRejected("App Store notifications are not enabled (APP_STORE_BUNDLE_ID).")
    try:
        signed_payload = json.loads(request.body)["signedPayload"]
        if not isinstance(signed_payload, str):
            raise TypeError
    except (ValueError, KeyError, TypeError) as exc:
        raise WebhookRejected("The body is not a notification ({signedPayload}).") from exc
    verifier = app_store_verifier()
    try:
        notification = verifier.verify_and_decode_notification(signed_payload)
        data = notification.data
        transaction = (
            verifier.verify_and_decode_signed_transaction(data.signedTransactionInfo)
            if data and data.signedTransactionInfo
            else None
        )
        renewal = (
            verifier.verify_and_decode_renewal_info(data.signedRenewalInfo) if data and data.signedRenewalInfo else None
        )
    except VerificationException as exc:
        raise WebhookRejected(f"The signature was refused ({exc.status.name.lower()}).") from exc
    if not notification.notificationUUID or not notification.rawNotificationType:
        raise WebhookRejected("Not a notification.")
    return {
        "id": notification.notificationUUID,
        "type": notification.rawNotificationType,
        "subtype": notification.rawSubtype or "",
        "signed_at": notification.signedDate,
        "status": data.rawStatus if data else None,
        "transaction": transaction,
        "renewal": renewal,
        "verifier": verifier,
    }


def _payload(event: dict) -> dict:
    """What is stored of a notification: its identity and the decoded transaction's key fields."""
    transaction = event["transaction"]
    keys = ("originalTransactionId", "transactionId", "productId", "purchaseDate", "expiresDate", "revocationDate")
    return {
        "notificationUUID": event["id"],
        "notificationType": event["type"],
        "subtype": event["subtype"],
        "signedDate": event["signed_at"],
        "status": event["status"],
        "transaction": {key: getattr(transaction, key) for key in keys} if transaction is not None else None,
    }


def app_store_notification_process(*, event: dict) -> str:
    """Record the notification once (by notificationUUID) and move the subscription it is about."""
    return provider_event_process(
        provider=NAME,
        event_id=event["id"],
        type=":".join(filter(None, (event["type"], event["subtype"]))),
        payload=_payload(event),
        dispatch=lambda: _dispatch(event),
    )


def _notification_status(event: dict) -> StoreStatus | None:
    kind, subtype = event["type"], event["subtype"]
    if kind in ("REFUND", "REVOKE"):
        return StoreStatus.REVOKED
    if kind == "EXPIRED":
        return StoreStatus.EXPIRED
    if kind == "DID_FAIL_TO_RENEW":
        return StoreStatus.GRACE if subtype == "GRACE_PERIOD" else StoreStatus.RETRY
    if kind == "GRACE_PERIOD_EXPIRED":
        return StoreStatus.RETRY
    return _STATUS.get(event["status"])


def _dispatch(event: dict) -> str:
    if event["type"] == "TEST":
        return "test notification"
    if event["type"] not in HANDLED_TYPES:
        return f"ignored: {event['type']}"
    transaction = event["transaction"]
    if transaction is None or not transaction.originalTransactionId:
        return "ignored: no transaction"
    state = _state(transaction, event["renewal"], _notification_status(event))
    if event["signed_at"]:  # the notification's own time orders it against the state already applied
        state = replace(state, signed_at=_ms(event["signed_at"]))
    user = store_purchase_user(provider=NAME, purchase_id=state.purchase_id)
    local = store_subscription_get(provider=NAME, purchase_id=state.purchase_id)
    if user is None or local is None:  # SUBSCRIBED (or the app's link) has not arrived: ask Apple what is true now
        return _link_from_notification(state, event["verifier"])
    _, outcome = store_state_apply(user=user, plan=local.plan, state=state, source=f"app_store:{event['type']}")
    if outcome == "stale":  # out of order: a newer state was applied; the API says what is true now
        current = _current_state(state.purchase_id, event["verifier"])
        if current is None:
            return "ignored: older than the state already applied"
        _, outcome = store_state_apply(user=user, plan=local.plan, state=current, source="app_store:status")
        outcome = f"out of order, resolved from the API: {outcome}"
    return outcome


def _link_from_notification(state: StoreState, verifier) -> str:
    """A notification about a purchase without a subscription here: linked by its appAccountToken, in the state the
    App Store Server API reports now (the notification's own when the API is not configured)."""
    current = _current_state(state.purchase_id, verifier) or state
    token = current.account_token or state.account_token
    return store_purchase_link_by_account(state=replace(current, account_token=token))


class AppStoreProvider(StoreProvider):
    name, label = NAME, "App Store"

    def webhook_parse(self, request) -> dict:
        return app_store_notification_parse(request)
