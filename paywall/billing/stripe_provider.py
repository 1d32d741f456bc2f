"""Stripe, through the official library.

Checkout: a Checkout Session in `subscription` mode for the plan's `provider_price_id`, with the reader's id as
`client_reference_id` and in the subscription's metadata (so every later event can be tied back to the reader).

Webhooks (`POST /api/v1/billing/webhooks/stripe/`): the signature is verified by `stripe.Webhook.construct_event`
(HMAC-SHA256 over `t.payload`, 300 s tolerance for old timestamps); timestamps more than 300 s in the future are
rejected too (the library accepts them). Each event id is recorded in `ProviderEvent` (unique) in the same
transaction that processes it, so a replayed or concurrent duplicate is acknowledged and ignored, and a failed
processing rolls the record back for Stripe's retry. Processing never trusts the event's copy or its order: it
re-reads the subscription with `stripe.Subscription.retrieve` and moves the local subscription to match.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import stripe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from cms.core.exceptions import ApplicationError, Conflict, ServiceUnavailable
from paywall.models import Plan, Subscription

from .base import WebhookRejected
from .events import provider_event_process

logger = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300
HANDLED_TYPES = {
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
}
LIVE_STRIPE = {"active", "trialing"}
DUE_STRIPE = {"past_due", "unpaid"}
ENDED_STRIPE = {"canceled", "incomplete_expired"}


def stripe_configure():
    """The library, pointed at `STRIPE_API_BASE` when set (a local stand-in in tests), with the secret key."""
    stripe.api_key = settings.STRIPE_SECRET_KEY
    stripe.api_base = settings.STRIPE_API_BASE or "https://api.stripe.com"
    stripe.max_network_retries = 2
    return stripe


# --- reading Stripe's objects defensively -----------------------------------------------------------------------
# A signed event is genuine but its shape is Stripe's to change (API versions move and expand fields): every read
# below takes what it expects or nothing, so an unexpected shape is "ignored", never a 500 (which Stripe retries
# for days). tests/paywall/billing/test_stripe_fuzz.py sends signed events of every shape.

_MAX_ID = 100  # Subscription.provider_*_id columns


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _plain(value):
    """A Stripe object and everything it nests as plain JSON types. `StripeObject.to_dict()` leaves a dict that sits
    in a list inside a list as a StripeObject, which json (and so a JSONField) refuses: a 500 for a signed event."""
    if isinstance(value, stripe.StripeObject):
        value = value.to_dict()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _str(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _id(value) -> str | None:
    """A Stripe id, given as a string or as an expanded object; None for anything else or an impossible length."""
    if isinstance(value, dict):
        value = value.get("id")
    value = _str(value)
    return value if value is not None and len(value) <= _MAX_ID else None


def _ts(value) -> datetime | None:
    """A Unix timestamp (seconds) as an aware datetime; None when absent or not a plausible timestamp."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 253402300800:  # < year 10000
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class StripeProvider:
    name = "stripe"

    def checkout_session_create(self, *, user, plan, group=None) -> str:
        from paywall.services import PaywallErrorCode

        if not plan.provider_price_id:
            raise ApplicationError(
                "This plan cannot be bought online yet.", code=PaywallErrorCode.PLAN_UNAVAILABLE, field="plan"
            )
        base = f"{settings.PUBLIC_BASE_URL}{settings.PAYWALL_SUBSCRIBE_URL}"
        client = stripe_configure()
        metadata = {"user_id": str(user.pk), "plan": plan.code}
        if group is not None:  # a group's subscription: one item per seat, tied back to the group by its id
            metadata["group_id"] = str(group.pk)
        try:
            session = client.checkout.Session.create(
                mode="subscription",
                line_items=[{"price": plan.provider_price_id, "quantity": group.seats if group is not None else 1}],
                client_reference_id=str(user.pk),
                customer_email=user.email,
                metadata=metadata,
                subscription_data={"metadata": metadata},
                success_url=getattr(settings, "BILLING_SUCCESS_URL", "") or f"{base}?checkout=success",
                cancel_url=getattr(settings, "BILLING_CANCEL_URL", "") or f"{base}?checkout=canceled",
            )
        except stripe.StripeError as exc:
            logger.warning("stripe checkout session failed: %s", exc)
            raise ServiceUnavailable(
                "The payment provider is unavailable, retry shortly.", code=PaywallErrorCode.BILLING_UNAVAILABLE
            ) from exc
        return session.url

    def webhook_parse(self, request) -> dict:
        """The verified event as a plain dict. Raises WebhookRejected for anything not genuine and fresh."""
        secret = settings.STRIPE_WEBHOOK_SECRET
        if not secret:
            raise WebhookRejected("Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET).")
        payload = request.body
        header = request.headers.get("Stripe-Signature", "")
        try:
            event = stripe.Webhook.construct_event(payload, header, secret, tolerance=TOLERANCE_SECONDS)
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise WebhookRejected(str(exc).split("\n")[0][:200]) from exc
        timestamps = [p.split("=", 1)[1] for p in header.split(",") if p.strip().startswith("t=")]
        try:
            signed_at = int(timestamps[0])
        except (IndexError, ValueError) as exc:  # pragma: no cover - construct_event already refused it
            raise WebhookRejected("No timestamp.") from exc
        if signed_at > time.time() + TOLERANCE_SECONDS:
            raise WebhookRejected("Timestamp is in the future.")
        data = _plain(event)
        event_id, kind, body = data.get("id"), data.get("type"), data.get("data")
        if (
            not _str(event_id)
            or len(event_id) > 255
            or not _str(kind)
            or not isinstance(_dict(body).get("object"), dict)
        ):
            raise WebhookRejected("Not an event.")
        if _has_nul(data):  # PostgreSQL stores no U+0000 in text or jsonb, and Stripe never sends one
            raise WebhookRejected("The event contains NUL characters.")
        return data

    def subscription_cancel_at_period_end(self, *, subscription, cancel: bool) -> None:
        if not subscription.provider_subscription_id:
            return
        try:
            stripe_configure().Subscription.modify(subscription.provider_subscription_id, cancel_at_period_end=cancel)
        except stripe.StripeError as exc:
            raise ServiceUnavailable("The payment provider is unavailable, retry shortly.") from exc

    def subscription_cancel_now(self, *, subscription, refund: bool) -> bool:
        """Cancel at Stripe at once; with `refund`, refund the payment of the latest paid invoice (if any)."""
        if not subscription.provider_subscription_id:
            return False
        client = stripe_configure()
        try:
            remote = _plain(client.Subscription.cancel(subscription.provider_subscription_id))
            invoice_id = remote.get("latest_invoice")
            if isinstance(invoice_id, dict):
                invoice_id = invoice_id.get("id")
            if not refund or not invoice_id:
                return False
            payment_intent = _invoice_payment_intent(client, invoice_id)
            if payment_intent is None:
                return False
            client.Refund.create(payment_intent=payment_intent)
            return True
        except stripe.StripeError as exc:
            raise ServiceUnavailable("The payment provider is unavailable, retry shortly.") from exc


def _invoice_payment_intent(client, invoice_id: str) -> str | None:
    """The PaymentIntent that paid an invoice: from its InvoicePayments (API 2025-03 and later), else the invoice's
    own `payment_intent` (older API versions)."""
    payments = _plain(client.InvoicePayment.list(invoice=invoice_id)).get("data") or []
    for item in payments:
        payment = item.get("payment") or {}
        if item.get("status") == "paid" and payment.get("payment_intent"):
            return payment["payment_intent"]
    invoice = _plain(client.Invoice.retrieve(invoice_id))
    return invoice.get("payment_intent") or None


# --- webhook processing ------------------------------------------------------------------------------------------


def stripe_event_process(*, event: dict) -> str:
    """Record the event once and process it, in one transaction (`provider_event_process`)."""
    return provider_event_process(
        provider="stripe", event_id=event["id"], type=event["type"], payload=event, dispatch=lambda: _dispatch(event)
    )


def _subscription_id_of(event: dict) -> tuple[str | None, dict]:
    obj = _dict(_dict(event.get("data")).get("object"))
    kind = event["type"]
    hints = {"user_id": None, "customer": _id(obj.get("customer"))}
    if kind == "checkout.session.completed":
        hints["user_id"] = _str(obj.get("client_reference_id")) or _str(_dict(obj.get("metadata")).get("user_id"))
        return _id(obj.get("subscription")), hints
    if kind.startswith("customer.subscription."):
        return _id(obj.get("id")), hints
    if kind.startswith("invoice."):
        sub_id = _id(obj.get("subscription"))
        if not sub_id:  # API versions >= 2025-03 moved it under parent.subscription_details
            sub_id = _id(_dict(_dict(obj.get("parent")).get("subscription_details")).get("subscription"))
        return sub_id, hints
    return None, hints


def _dispatch(event: dict) -> str:
    if event["type"] not in HANDLED_TYPES:
        return f"ignored: {event['type']}"
    sub_id, hints = _subscription_id_of(event)
    if not sub_id:
        return "ignored: no subscription"
    try:
        remote = _plain(stripe_configure().Subscription.retrieve(sub_id))
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404:
            return f"ignored: {sub_id} not found at Stripe"
        raise
    except stripe.StripeError as exc:
        logger.warning("stripe subscription %s could not be read: %s", sub_id, exc)
        raise  # rolls the ProviderEvent back; the webhook answers 503 and Stripe retries later
    if _id(remote.get("id")) != sub_id:
        return f"ignored: Stripe answered for {sub_id} with another object"
    return stripe_subscription_sync(remote=remote, source=f"stripe:{event['type']}", hints=hints)


def _remote_period(remote: dict) -> tuple[datetime | None, datetime | None]:
    start, end = remote.get("current_period_start"), remote.get("current_period_end")
    if not end:  # API versions >= 2025-03 keep the period on the subscription item
        items = _dict(remote.get("items")).get("data")
        first = _dict(items[0]) if isinstance(items, list) and items else {}
        start, end = first.get("current_period_start"), first.get("current_period_end")
    return _ts(start), _ts(end)


def _remote_plan(remote: dict) -> Plan | None:
    items = _dict(remote.get("items")).get("data")
    price_ids = [_id(_dict(item).get("price")) for item in (items if isinstance(items, list) else [])]
    plan = Plan.objects.filter(provider_price_id__in=[p for p in price_ids if p]).first()
    code = _str(_dict(remote.get("metadata")).get("plan"))
    if plan is None and code:
        plan = Plan.objects.filter(code=code).first()
    return plan


def _remote_user(remote: dict, hints: dict):
    User = get_user_model()
    user_id = _str(_dict(remote.get("metadata")).get("user_id")) or hints.get("user_id")
    if user_id and user_id.isascii() and user_id.isdigit() and 0 < int(user_id) < 2**63:
        user = User.objects.filter(pk=int(user_id)).first()
        if user is not None:
            return user
    customer = _id(remote.get("customer")) or hints.get("customer")
    if customer:
        sub = Subscription.objects.filter(provider="stripe", provider_customer_id=customer).select_related("user")
        sub = sub.first()
        if sub is not None:
            return sub.user
    return None


def _reader_activate(remote: dict, *, hints: dict, source: str, start, end, status: str) -> Subscription | str:
    """A reader's subscription from a Stripe subscription we did not know yet; a string says why not."""
    from paywall import services

    user, plan = _remote_user(remote, hints), _remote_plan(remote)
    if user is None or plan is None:
        return "ignored: reader or plan not found"
    try:
        return services.subscription_activate(
            user=user, plan=plan, source=source, paid=status != "trialing", **_activation(remote, start, end)
        )
    except Conflict as exc:
        return f"conflict: {exc.message}"


def _activation(remote: dict, start, end) -> dict:
    """What activating a local subscription from the Stripe subscription `remote` takes from it."""
    return {
        "provider": "stripe",
        "provider_customer_id": _id(remote.get("customer")) or "",
        "provider_subscription_id": remote["id"],
        "period_start": start,
        "period_end": end,
    }


def _group_activate(remote: dict, *, source: str, start, end, **_ignored) -> Subscription | str:
    """The group's subscription from a Stripe subscription carrying `metadata.group_id`, its quantity the seats."""
    from paywall.models import Group
    from paywall.services.groups import group_subscription_activate

    group_id = _str(_dict(remote.get("metadata")).get("group_id")) or ""
    group = Group.objects.filter(pk=int(group_id)).first() if group_id.isascii() and group_id.isdigit() else None
    if group is None:
        return "ignored: group not found"
    items = _dict(remote.get("items")).get("data")
    quantity = _dict(items[0]).get("quantity") if isinstance(items, list) and items else None
    seats = quantity if isinstance(quantity, int) and quantity > 0 else None
    return group_subscription_activate(group=group, source=source, seats=seats, **_activation(remote, start, end))


def stripe_subscription_sync(*, remote: dict, source: str, hints: dict | None = None) -> str:
    """Move the local subscription to the state of the Stripe subscription `remote` (freshly retrieved)."""
    from paywall import services

    hints = hints or {}
    S = Subscription.Status
    status = _str(remote.get("status"))
    start, end = _remote_period(remote)
    local = Subscription.objects.filter(provider="stripe", provider_subscription_id=remote["id"]).first()
    if local is None:
        if status not in LIVE_STRIPE | DUE_STRIPE:
            return f"ignored: unknown subscription in status {status}"
        activate = _group_activate if _str(_dict(remote.get("metadata")).get("group_id")) else _reader_activate
        local = activate(remote, hints=hints, source=source, start=start, end=end, status=status)
        if isinstance(local, str):
            return local
        outcome = "activated"
    else:
        outcome = "unchanged"
    if local.status not in Subscription.LIVE_STATUSES:
        return f"{outcome}: local subscription already {local.status}"
    if status in LIVE_STRIPE:
        if local.status == S.PAST_DUE or (end and local.current_period_end and end > local.current_period_end):
            services.subscription_renew(subscription=local, source=source, period_start=start, period_end=end)
            outcome = "renewed"
    elif status in DUE_STRIPE:
        if local.status == S.ACTIVE:
            services.subscription_mark_past_due(subscription=local, source=source)
            outcome = "past_due"
    elif status in ENDED_STRIPE:
        ended = _ts(remote.get("ended_at")) or timezone.now()
        if local.cancel_at_period_end or (end and ended >= end - timedelta(minutes=5)):
            services.subscription_expire(subscription=local, source=source)
            return "expired"
        services.subscription_cancel_now(subscription=local, source=source, notify_provider=False)
        return "canceled"
    else:
        return f"{outcome}: status {status} not mapped"
    local.refresh_from_db()
    wants_cancel = bool(remote.get("cancel_at_period_end"))
    if wants_cancel and not local.cancel_at_period_end:
        services.subscription_cancel(subscription=local, source=source, notify_provider=False)
        outcome = "cancel at period end" if outcome == "unchanged" else f"{outcome}, cancel at period end"
    elif not wants_cancel and local.cancel_at_period_end:
        services.subscription_resume(subscription=local, source=source, notify_provider=False)
        outcome = "resumed" if outcome == "unchanged" else f"{outcome}, resumed"
    return outcome
