"""App Store and Google Play purchases as Masthead subscriptions: linking a purchase to an account and moving its
subscription to the state the store says it is in. The stores' own formats are read in `paywall.billing.app_store`
and `paywall.billing.google_play`, which hand a `StoreState` here; the transitions are the subscription services'
(same locks, events and emails as Stripe's).

One purchase, one account: `StorePurchase` (unique by provider + purchase id) is the link; a purchase linked to
another account is a 409, the same one again by the same account a no-op.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from cms.core.exceptions import ApplicationError, Conflict

from ..models import Plan, StorePurchase, Subscription
from ..selectors import STORE_PROVIDERS, subscription_manage_url
from . import subscriptions as subs
from .errors import PaywallErrorCode

S = Subscription.Status


class StoreStatus(StrEnum):
    ACTIVE = "active"  # paid, in its period (auto-renewing or not)
    GRACE = "grace"  # renewal failed, the store's billing grace period: access continues (past_due)
    RETRY = "retry"  # renewal failed, the store keeps retrying (Apple's billing retry, Play's on hold): past_due
    EXPIRED = "expired"  # ran out
    REVOKED = "revoked"  # refunded or revoked: access ends at once
    PENDING = "pending"  # not paid yet (Play's pending purchase): nothing to do


LIVE_STORE = (StoreStatus.ACTIVE, StoreStatus.GRACE, StoreStatus.RETRY)


@dataclass(frozen=True)
class StoreState:
    """A store subscription as its store says it is at `signed_at`."""

    provider: str
    purchase_id: str
    product_id: str
    status: StoreStatus
    period_start: datetime | None
    period_end: datetime | None
    auto_renew: bool
    signed_at: datetime
    account_token: str | None = None  # StoreKit appAccountToken / Play obfuscatedExternalAccountId


def store_managed_conflict(*, subscription: Subscription) -> Conflict:
    """The 409 for changing a store subscription here: the reader manages it in the store (`manage_url`)."""
    return Conflict(
        "This subscription is managed in the store where it was bought.",
        code=PaywallErrorCode.MANAGED_BY_STORE,
        extra={"manage_url": subscription_manage_url(subscription=subscription)},
    )


def _plan_for(state: StoreState) -> Plan:
    column = "app_store_product_id" if state.provider == "app_store" else "google_play_product_id"
    plan = Plan.objects.filter(**{column: state.product_id}).first() if state.product_id else None
    if plan is None:
        raise ApplicationError(
            "No plan is sold under this store product.", code=PaywallErrorCode.PLAN_UNKNOWN, field="product_id"
        )
    return plan


def store_purchase_user(*, provider: str, purchase_id: str):
    """The account a purchase is linked to, or None."""
    link = StorePurchase.objects.filter(provider=provider, purchase_id=purchase_id).select_related("user").first()
    return link.user if link is not None else None


def store_purchase_link(*, user, state: StoreState, token: str = "") -> tuple[Subscription, str]:
    """Link a verified store purchase to `user` and bring its subscription to `state`. Refused (409, nothing
    recorded): an `account_token` that is not the account's UUID; a purchase linked to another account; an account
    that already has another live subscription (Stripe, another store; a trial converts); a purchase that ended
    before it was ever linked. The same purchase again by the same account: its state is applied (idempotent)."""
    plan = _plan_for(state)
    if state.account_token is not None and state.account_token.lower() != str(user.uuid):
        raise Conflict("This purchase was made for another account.", code=PaywallErrorCode.ACCOUNT_TOKEN_MISMATCH)
    with transaction.atomic():
        other = (
            Subscription.objects.select_for_update()
            .filter(user_id=user.pk)
            .live()
            .exclude(status=S.TRIALING)
            .exclude(provider=state.provider, provider_subscription_id=state.purchase_id)
            .first()
        )
        if other is not None:
            where = {"stripe": " through Stripe", "app_store": " in the App Store", "google_play": " on Google Play"}
            raise Conflict(
                f"You already have an active subscription{where.get(other.provider, '')}.",
                code=PaywallErrorCode.ALREADY_SUBSCRIBED,
                extra={"provider": other.provider},
            )
        link, _ = StorePurchase.objects.get_or_create(
            provider=state.provider,
            purchase_id=state.purchase_id,
            defaults={"user": user, "product_id": state.product_id, "token": token},
        )
        if link.user_id != user.pk:
            raise Conflict("This purchase belongs to another account.", code=PaywallErrorCode.PURCHASE_LINKED_ELSEWHERE)
        subscription, outcome = store_state_apply(user=user, plan=plan, state=state, source=f"{state.provider}:link")
        if subscription is None:
            raise Conflict("This purchase has ended.", code=PaywallErrorCode.PURCHASE_ENDED)
    return subscription, outcome


def store_purchase_link_by_account(*, state: StoreState, token: str = "") -> str:
    """A store notification about a purchase not linked yet: linked to the account whose UUID the app set on the
    purchase (StoreKit's appAccountToken, Play's obfuscatedExternalAccountId); the app's own link may follow and is
    then a no-op. Returns what happened (refusals included: the notification is acknowledged)."""
    try:
        account = uuid.UUID(state.account_token) if state.account_token else None
    except ValueError:
        account = None
    user = get_user_model().objects.filter(uuid=account).first() if account else None
    if user is None:
        return "ignored: purchase not linked to an account"
    try:
        _, outcome = store_purchase_link(user=user, state=state, token=token)
    except ApplicationError as exc:
        return f"refused: {exc.code}: {exc.message}"
    return f"linked by account token: {outcome}"


def store_subscription_get(*, provider: str, purchase_id: str) -> Subscription | None:
    """The newest local subscription of a store purchase."""
    return (
        Subscription.objects.filter(provider=provider, provider_subscription_id=purchase_id)
        .order_by("-created_at", "-id")
        .first()
    )


def store_state_apply(*, user, plan: Plan | None, state: StoreState, source: str) -> tuple[Subscription | None, str]:
    """Move the purchase's local subscription to `state` (creating it for a live purchase). Returns it (None when
    there is none) and what happened. A state older than the one last applied changes nothing ("stale"): the caller
    asks the store for the current one."""
    local = store_subscription_get(provider=state.provider, purchase_id=state.purchase_id)
    if local is not None and local.store_state_at and state.signed_at < local.store_state_at:
        return local, "stale"
    outcome = "unchanged"
    if local is not None and _comes_back(local, state):
        local = None  # lapsed here, paid again at the store (billing retry recovered, resubscribed): a new one
    if local is None:
        if state.status not in LIVE_STORE or plan is None:
            return None, f"ignored: {state.status} purchase without a subscription"
        local = subs.subscription_activate(
            user=user,
            plan=plan,
            source=source,
            provider=state.provider,
            provider_subscription_id=state.purchase_id,
            period_start=state.period_start,
            period_end=state.period_end,
        )
        outcome = "activated"
    if local.status in Subscription.LIVE_STATUSES:
        outcome = _status_apply(local, state=state, source=source, outcome=outcome)
    else:
        outcome = f"{outcome}: local subscription already {local.status}"
    Subscription.objects.filter(pk=local.pk).filter(
        Q(store_state_at__isnull=True) | Q(store_state_at__lt=state.signed_at)
    ).update(store_state_at=state.signed_at)
    local.refresh_from_db()
    return local, outcome


def _comes_back(local: Subscription, state: StoreState) -> bool:
    ended = local.ended_at or local.current_period_end
    return (
        local.status not in Subscription.LIVE_STATUSES
        and state.status == StoreStatus.ACTIVE
        and state.period_end is not None
        and (ended is None or state.period_end > ended)
    )


def _status_apply(local: Subscription, *, state: StoreState, source: str, outcome: str) -> str:
    if state.status == StoreStatus.REVOKED:
        subs.subscription_expire(subscription=local, source=source, note="refunded or revoked by the store")
        return "expired (revoked)"
    if state.status == StoreStatus.EXPIRED:
        subs.subscription_expire(subscription=local, source=source)
        return "expired"
    if state.status == StoreStatus.ACTIVE:
        extends = state.period_end and local.current_period_end and state.period_end > local.current_period_end
        if local.status == S.PAST_DUE or extends:
            subs.subscription_renew(
                subscription=local, source=source, period_start=state.period_start, period_end=state.period_end
            )
            outcome = "renewed" if outcome == "unchanged" else outcome
    elif state.status in (StoreStatus.GRACE, StoreStatus.RETRY) and local.status == S.ACTIVE:
        subs.subscription_mark_past_due(subscription=local, source=source)
        outcome = "past_due" if outcome == "unchanged" else f"{outcome}, past_due"
    local.refresh_from_db()
    if not state.auto_renew and not local.cancel_at_period_end:
        subs.subscription_cancel(subscription=local, source=source, notify_provider=False)
        return "cancel at period end" if outcome == "unchanged" else f"{outcome}, cancel at period end"
    if state.auto_renew and local.cancel_at_period_end:
        subs.subscription_resume(subscription=local, source=source, notify_provider=False)
        return "resumed" if outcome == "unchanged" else f"{outcome}, resumed"
    return outcome


__all__ = [
    "STORE_PROVIDERS",
    "StoreState",
    "StoreStatus",
    "store_managed_conflict",
    "store_purchase_link",
    "store_purchase_link_by_account",
    "store_purchase_user",
    "store_state_apply",
    "store_subscription_get",
]
