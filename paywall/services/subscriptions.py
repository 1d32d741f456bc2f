"""Subscriptions: checkout and every state transition, and the periodic sweep. Each transition locks the row
(SELECT ... FOR UPDATE), is guarded by the current state (repeating it is a no-op; an impossible one is a 409),
writes a SubscriptionEvent (from/to/source/actor) and enqueues its email with a key unique to the event.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import TypedDict, Unpack

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from cms.core.email import email_enqueue
from cms.core.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied
from cms.core.models import OutboundEmail

from ..models import FunnelEvent, Plan, Subscription, SubscriptionEvent
from ..selectors import STORE_PROVIDERS, plan_display
from .errors import PaywallErrorCode
from .funnel import funnel_first_payment_record, funnel_subscription_end_record

S = Subscription.Status
PROVIDER_TRIAL_NOTE = "provider trial started"
TRIAL_ENDING_NOTICE = timedelta(days=3)
ALREADY_SUBSCRIBED_MESSAGE = "You already have a subscription."


def _add_interval(start: datetime, interval: str, count: int = 1) -> datetime:
    """`start` plus `count` plan intervals (calendar months/years, clamped to the month's last day)."""
    if interval == Plan.Interval.WEEK:
        return start + timedelta(weeks=count)
    months = count * (12 if interval == Plan.Interval.YEAR else 1)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def event_write(
    *, subscription: Subscription, from_status: str, source: str, actor=None, note: str = ""
) -> SubscriptionEvent:
    return SubscriptionEvent.objects.create(
        subscription=subscription,
        from_status=from_status,
        to_status=subscription.status,
        source=source[:40],
        actor=actor if getattr(actor, "pk", None) else None,
        note=note[:300],
    )


def _locked(subscription: Subscription) -> Subscription:
    return Subscription.objects.select_for_update(of=("self",)).select_related("plan", "user").get(pk=subscription.pk)


def _fmt(dt: datetime | None) -> str:
    return timezone.localtime(dt).strftime("%B %-d, %Y") if dt else ""


def subscription_email(*, subscription: Subscription, template: str, key: str, extra: dict | None = None) -> None:
    if subscription.group_id is not None:  # a group's subscription: its admins, and on lapse its members
        from .groups import group_subscription_email

        return group_subscription_email(subscription=subscription, template=template, key=key, extra=extra)
    user = subscription.user
    plan = subscription.plan
    context = {
        "name": user.display_name or user.email,
        "plan_name": plan.name if plan else "",
        "price": plan_display(plan) if plan else "",
        "period_end": _fmt(subscription.current_period_end),
        "trial_end": _fmt(subscription.trial_end),
        "trial_days": settings.PAYWALL_TRIAL_DAYS,
        "manage_url": f"{settings.PUBLIC_BASE_URL}{settings.PAYWALL_SUBSCRIBE_URL}",
        **(extra or {}),
    }
    email_enqueue(to=user.email, template=f"paywall_{template}", context=context, key=f"paywall:{key}")


def subscription_current(*, user) -> Subscription:
    """The reader's live subscription (trialing, active or past_due), or NotFound."""
    sub = Subscription.objects.filter(user_id=user.pk).live().select_related("plan").first()
    if sub is None:
        raise NotFound("You have no current subscription.", code=PaywallErrorCode.NO_SUBSCRIPTION)
    return sub


def _plan_get(*, plan_code: str) -> Plan:
    plan = Plan.objects.filter(code=plan_code, active=True).first()
    if plan is None:
        raise ApplicationError("Unknown plan.", code=PaywallErrorCode.PLAN_UNKNOWN, field="plan")
    return plan


def subscription_checkout_create(*, user, plan_code: str) -> str:
    """The provider's checkout URL for `plan_code`. A reader on a trial may check out (the trial converts); one who
    already pays may not (409)."""
    from ..billing import provider_get

    plan = _plan_get(plan_code=plan_code)
    live = Subscription.objects.filter(user_id=user.pk).live().first()
    if live is not None and live.status != S.TRIALING:
        raise Conflict(ALREADY_SUBSCRIBED_MESSAGE, code=PaywallErrorCode.ALREADY_SUBSCRIBED)
    return provider_get().checkout_session_create(user=user, plan=plan)


def subscription_activate(
    *,
    user,
    plan: Plan,
    source: str,
    actor=None,
    provider: str = "dev",
    provider_customer_id: str = "",
    provider_subscription_id: str = "",
    period_start: datetime | None = None,
    period_end: datetime | None = None,
    receipt_key: str | None = None,
    paid: bool = True,
    now: datetime | None = None,
) -> Subscription:
    """A paid subscription starts (checkout completed). Idempotent per provider subscription id: activating the same
    one again returns it unchanged. A running trial converts (it ends, note "converted"); any other live
    subscription is a 409. Sends the payment receipt. `paid=False`: the provider runs a trial of its own first
    (Stripe's `trialing`); its first renewal is the first payment (the funnel's `paid` step)."""
    now = now or timezone.now()
    period_start = period_start or now
    period_end = period_end or _add_interval(period_start, plan.interval)
    with transaction.atomic():
        if provider_subscription_id:
            same = Subscription.objects.select_for_update().filter(
                provider=provider, provider_subscription_id=provider_subscription_id
            )
            if provider in STORE_PROVIDERS:  # a store purchase that lapsed may come back under its id: a new one
                same = same.live()
            existing = same.first()
            if existing is not None:
                return existing
        live = Subscription.objects.select_for_update().filter(user_id=user.pk).live().first()
        if live is not None:
            if live.status != S.TRIALING:
                raise Conflict(ALREADY_SUBSCRIBED_MESSAGE, code=PaywallErrorCode.ALREADY_SUBSCRIBED)
            live.status, live.ended_at = S.EXPIRED, now
            live.save(update_fields=["status", "ended_at", "updated_at"])
            event_write(subscription=live, from_status=S.TRIALING, source=source, actor=actor, note="converted")
        try:
            sub = _active_create(
                user=user,
                plan=plan,
                period_start=period_start,
                period_end=period_end,
                provider=provider,
                provider_customer_id=provider_customer_id or "",
                provider_subscription_id=provider_subscription_id or "",
            )
        except IntegrityError:
            # a concurrent activation of the same provider subscription won the one-live-per-reader constraint
            existing = Subscription.objects.filter(
                provider=provider, provider_subscription_id=provider_subscription_id or "-"
            ).first()
            if existing is not None:
                return existing
            raise Conflict(ALREADY_SUBSCRIBED_MESSAGE, code=PaywallErrorCode.ALREADY_SUBSCRIBED) from None
        note = "paid subscription started" if paid else PROVIDER_TRIAL_NOTE
        event_write(subscription=sub, from_status="", source=source, actor=actor, note=note)
        if paid:
            funnel_first_payment_record(subscription=sub, converted=live is not None, now=now)
    _receipt_email(subscription=sub, period_end=period_end, receipt_key=receipt_key)
    return sub


def _first_renewal_after_provider_trial(sub: Subscription) -> bool:
    events = SubscriptionEvent.objects.filter(subscription=sub)
    return events.filter(note=PROVIDER_TRIAL_NOTE).exists() and not events.filter(note="renewed").exists()


def _active_create(*, user, plan: Plan | None, period_start: datetime, period_end: datetime, **fields) -> Subscription:
    """A new active subscription in its own savepoint; IntegrityError when the reader already has a live one (the
    one-live-subscription-per-reader constraint), the caller's transaction still usable."""
    with transaction.atomic():
        return Subscription.objects.create(
            user=user,
            plan=plan,
            status=S.ACTIVE,
            current_period_start=period_start,
            current_period_end=period_end,
            **fields,
        )


def _receipt_email(*, subscription: Subscription, period_end: datetime, receipt_key: str | None) -> None:
    """One receipt per paid period: keyed by the provider's invoice (receipt_key) or by the period's end."""
    subscription_email(
        subscription=subscription,
        template="payment_receipt",
        key=receipt_key or f"sub:{subscription.pk}:receipt:{period_end:%Y%m%dT%H%M%S}",
        extra={"amount": plan_display(subscription.plan)},
    )


def subscription_renew(
    *,
    subscription: Subscription,
    source: str,
    actor=None,
    period_start: datetime | None = None,
    period_end: datetime | None = None,
    receipt_key: str | None = None,
    now: datetime | None = None,
) -> Subscription:
    """A period was paid: active/past_due -> active with the new period. Without explicit bounds the next period
    follows the current one. Idempotent: a period that does not extend the current one changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = _locked(subscription)
        if sub.status not in (S.ACTIVE, S.PAST_DUE) or sub.plan is None:
            raise Conflict("This subscription cannot be renewed.", code=PaywallErrorCode.INVALID_TRANSITION)
        if period_end is None:
            period_start = sub.current_period_end or now
            period_end = _add_interval(period_start, sub.plan.interval)
        if sub.status == S.ACTIVE and sub.current_period_end and period_end <= sub.current_period_end:
            return sub
        from_status = sub.status
        sub.status = S.ACTIVE
        sub.current_period_start = period_start or sub.current_period_end or now
        sub.current_period_end = period_end
        sub.past_due_since = None
        sub.save(update_fields=["status", "current_period_start", "current_period_end", "past_due_since", "updated_at"])
        if _first_renewal_after_provider_trial(sub):
            funnel_first_payment_record(subscription=sub, converted=True, now=now)
        event_write(subscription=sub, from_status=from_status, source=source, actor=actor, note="renewed")
    _receipt_email(subscription=sub, period_end=period_end, receipt_key=receipt_key)
    return sub


def subscription_mark_past_due(
    *, subscription: Subscription, source: str, actor=None, since: datetime | None = None, now: datetime | None = None
) -> Subscription:
    """A renewal payment failed: active -> past_due. Access continues for BILLING_GRACE_DAYS from `since`."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = _locked(subscription)
        if sub.status == S.PAST_DUE:
            return sub
        if sub.status != S.ACTIVE:
            raise Conflict("This subscription is not active.", code=PaywallErrorCode.INVALID_TRANSITION)
        sub.status, sub.past_due_since = S.PAST_DUE, since or now
        sub.save(update_fields=["status", "past_due_since", "updated_at"])
        event = event_write(subscription=sub, from_status=S.ACTIVE, source=source, actor=actor, note="payment failed")
    subscription_email(
        subscription=sub,
        template="payment_failed",
        key=f"sub:{sub.pk}:payment_failed:{event.pk}",
        extra={"grace_end": _fmt(sub.past_due_since + timedelta(days=settings.BILLING_GRACE_DAYS))},
    )
    return sub


def _provider_for(subscription: Subscription):
    from ..billing import provider_for

    return provider_for(subscription)


_ENDED_REFUSALS = {True: "This subscription has already ended.", False: "This subscription has ended; subscribe again."}


class PeriodEndChange(TypedDict, total=False):
    """The options of `subscription_cancel` and `subscription_resume`: who asks (`source`, default "reader";
    `actor`), whether the billing provider is told first (`notify_provider`, default True; False when the change
    comes from its webhook) and when (`now`)."""

    source: str
    actor: object
    notify_provider: bool
    now: datetime | None


def _cancel_at_period_end_set(
    subscription: Subscription,
    *,
    cancel: bool,
    source: str = "reader",
    actor=None,
    notify_provider: bool = True,
    now: datetime | None = None,
) -> Subscription:
    """Set (cancel) or clear (resume) `cancel_at_period_end` of a live subscription, the provider told first; a
    cancellation sends its email. Idempotent: nothing changes when it is already so; one that ended is a 409."""
    now = now or timezone.now()
    with transaction.atomic():
        sub = _locked(subscription)
        if sub.status not in Subscription.LIVE_STATUSES:
            raise Conflict(_ENDED_REFUSALS[cancel], code=PaywallErrorCode.INVALID_TRANSITION)
        if notify_provider and sub.provider in STORE_PROVIDERS:  # only the store can change it; its webhook tells us
            from .store import store_managed_conflict

            raise store_managed_conflict(subscription=sub)
        if sub.cancel_at_period_end == cancel:
            return sub
        if notify_provider:
            _provider_for(sub).subscription_cancel_at_period_end(subscription=sub, cancel=cancel)
        sub.cancel_at_period_end, sub.canceled_at = cancel, now if cancel else None
        sub.save(update_fields=["cancel_at_period_end", "canceled_at", "updated_at"])
        note = "cancel at period end" if cancel else "resumed"
        event = event_write(subscription=sub, from_status=sub.status, source=source, actor=actor, note=note)
        if cancel:
            funnel_subscription_end_record(subscription=sub, kind=FunnelEvent.Kind.CANCELED, now=now)
    if cancel:
        subscription_email(subscription=sub, template="canceled", key=f"sub:{sub.pk}:canceled:{event.pk}")
    return sub


def subscription_cancel(*, subscription: Subscription, **change: Unpack[PeriodEndChange]) -> Subscription:
    """Cancel at period end: the state is kept, `cancel_at_period_end` is set, access lasts until
    `current_period_end` (the trial's end for a trial) and the sweep then expires it. Idempotent."""
    return _cancel_at_period_end_set(subscription, cancel=True, **change)


def subscription_resume(*, subscription: Subscription, **change: Unpack[PeriodEndChange]) -> Subscription:
    """Undo a cancel-at-period-end before the period ends. Idempotent; a subscription that ended is a 409."""
    return _cancel_at_period_end_set(subscription, cancel=False, **change)


def _subscription_end(
    *, subscription: Subscription, to_status: str, source: str, actor, note: str, now: datetime, provider_call=None
) -> tuple[Subscription, SubscriptionEvent | None]:
    """live -> `to_status` (expired or canceled), now. Idempotent: (subscription, None) when it has already ended.
    `provider_call(sub)`, if given, runs under the row lock first and may return a note replacing `note`."""
    with transaction.atomic():
        sub = _locked(subscription)
        if sub.status not in Subscription.LIVE_STATUSES:
            return sub, None
        if provider_call is not None:
            note = provider_call(sub) or note
        from_status = sub.status
        sub.status, sub.ended_at = to_status, now
        fields = ["status", "ended_at", "updated_at"]
        if to_status == S.CANCELED:
            sub.canceled_at = sub.canceled_at or now
            fields.append("canceled_at")
        sub.save(update_fields=fields)
        event = event_write(subscription=sub, from_status=from_status, source=source, actor=actor, note=note)
        funnel_subscription_end_record(subscription=sub, kind=to_status, now=now)
    return sub, event


def subscription_expire(
    *, subscription: Subscription, source: str, actor=None, note: str = "", now: datetime | None = None
) -> Subscription:
    """The subscription ran out (trial over, canceled period over, grace over): live -> expired. Idempotent."""
    sub, event = _subscription_end(
        subscription=subscription,
        to_status=S.EXPIRED,
        source=source,
        actor=actor,
        note=note or "expired",
        now=now or timezone.now(),
    )
    if event is not None:
        subscription_email(subscription=sub, template="expired", key=f"sub:{sub.pk}:expired")
    return sub


def subscription_cancel_now(
    *,
    subscription: Subscription,
    source: str = "staff",
    actor=None,
    refund: bool = True,
    notify_provider: bool = True,
    now: datetime | None = None,
) -> Subscription:
    """End at once (e.g. refunded): live -> canceled; access stops now. The provider is told (and asked to refund
    the last payment when `refund`). Idempotent."""

    def tell_provider(sub: Subscription) -> str | None:
        refunded = _provider_for(sub).subscription_cancel_now(subscription=sub, refund=refund)
        return "canceled now, refunded" if refunded else None

    sub, event = _subscription_end(
        subscription=subscription,
        to_status=S.CANCELED,
        source=source,
        actor=actor,
        note="canceled now",
        now=now or timezone.now(),
        provider_call=tell_provider if notify_provider else None,
    )
    if event is not None:
        subscription_email(
            subscription=sub,
            template="canceled",
            key=f"sub:{sub.pk}:canceled:{event.pk}",
            extra={"ended_now": True, "refunded": event.note.endswith("refunded")},
        )
    return sub


def subscription_comp(
    *, user, actor, plan: Plan | None = None, days: int = 30, now: datetime | None = None
) -> Subscription:
    """Staff gift: a complimentary active subscription for `days`. Refused if the reader already has a live one."""
    now = now or timezone.now()
    if actor is None or not actor.is_staff:
        raise PermissionDenied("Only staff can gift a subscription.")
    if days < 1 or days > 3660:
        raise ApplicationError("Give between 1 and 3660 days.", code=PaywallErrorCode.INVALID, field="days")
    with transaction.atomic():
        try:
            sub = _active_create(
                user=user,
                plan=plan,
                period_start=now,
                period_end=now + timedelta(days=days),
                is_comp=True,
                provider="comp",
            )
        except IntegrityError:
            message = f"{user.email} already has a subscription."
            raise Conflict(message, code=PaywallErrorCode.ALREADY_SUBSCRIBED) from None
        event_write(subscription=sub, from_status="", source="staff", actor=actor, note=f"gift of {days} days")
    return sub


def subscription_sweep(*, now: datetime | None = None) -> dict:
    """The periodic sweep (task `paywall.subscription_sweep`). Idempotent: every candidate is re-checked under its
    row lock by the transition it gets, and every email key is unique, so a second run finds nothing to do.

    - trials whose trial_end passed -> expired;
    - cancel-at-period-end subscriptions whose period ended -> expired;
    - past_due beyond BILLING_GRACE_DAYS -> expired;
    - active, not canceled, period ended: dev provider renews (a simulated charge), comp expires, a real provider's
      subscription goes past_due (grace from period end) until its webhook says paid;
    - trials ending within 3 days get the "trial ends soon" email once.
    """
    now = now or timezone.now()
    live = Subscription.objects.live().select_related("plan", "user")
    counts = {"expired": 0, "renewed": 0, "past_due": 0, "trial_ending_emails": 0}
    grace = timedelta(days=settings.BILLING_GRACE_DAYS)
    to_expire = (
        live.filter(status=S.TRIALING, trial_end__lte=now)
        | live.filter(cancel_at_period_end=True, current_period_end__lte=now)
        | live.filter(status=S.PAST_DUE, past_due_since__lte=now - grace)
    )
    for sub in to_expire.distinct():
        if _sweep_expire_due(sub, now=now, grace=grace):
            subscription_expire(subscription=sub, source="sweep", now=now)
            counts["expired"] += 1
    for sub in live.filter(status=S.ACTIVE, cancel_at_period_end=False, current_period_end__lte=now):
        try:
            outcome = _sweep_lapsed(sub, now=now)
        except Conflict:  # its state changed since the candidate list was read (a webhook won): nothing to do
            continue
        if outcome is not None:
            counts[outcome] += 1
    key = Concat(Value("paywall:sub:"), Cast(OuterRef("pk"), CharField()), Value(":trial_ending"))
    ending = live.filter(status=S.TRIALING, trial_end__gt=now, trial_end__lte=now + TRIAL_ENDING_NOTICE).exclude(
        Exists(OutboundEmail.objects.filter(key=key))
    )
    for sub in ending:
        subscription_email(subscription=sub, template="trial_ending", key=f"sub:{sub.pk}:trial_ending")
        counts["trial_ending_emails"] += 1
    return counts


def _sweep_expire_due(sub: Subscription, *, now: datetime, grace: timedelta) -> bool:
    if sub.status == S.TRIALING and sub.trial_end and sub.trial_end <= now:
        return True
    if sub.cancel_at_period_end and sub.current_period_end and sub.current_period_end <= now:
        return True
    return bool(sub.status == S.PAST_DUE and sub.past_due_since and sub.past_due_since <= now - grace)


def _sweep_lapsed(sub: Subscription, *, now: datetime) -> str | None:
    """An active subscription whose period ended: comp expires, dev renews (a simulated successful charge; after a
    long gap the new period starts now), a real provider's goes past_due until its webhook says paid. Returns the
    sweep's count it adds to, None for a renewal that did not move the period."""
    if sub.is_comp or sub.plan is None:
        subscription_expire(subscription=sub, source="sweep", now=now)
        return "expired"
    if sub.provider == "dev":
        start = sub.current_period_end
        if _add_interval(start, sub.plan.interval) <= now:
            start = now
        end = _add_interval(start, sub.plan.interval)
        renewed = subscription_renew(subscription=sub, source="sweep", period_start=start, period_end=end, now=now)
        return "renewed" if renewed.current_period_end > sub.current_period_end else None
    subscription_mark_past_due(subscription=sub, source="sweep", since=sub.current_period_end, now=now)
    return "past_due"
