"""Reads of paywall state: entitlements, allowances, plans, meter state."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed  # also sent by override_settings in tests
from django.db import connection
from django.db.models import Exists

from .models import MeterPeriod, MeterPolicy, MeterRead, Plan, Subscription

POLICY_CACHE_KEY = "paywall:meter-policy:v1"


@dataclass(frozen=True)
class Entitlement:
    """What a reader's subscription gives: `kind` is "subscriber" or "trial"; None means no live entitlement."""

    kind: str
    subscription: Subscription


def subscription_latest_get(*, user) -> Subscription | None:
    """The reader's most recent subscription, live or not (with its plan), or None."""
    if user is None or not getattr(user, "pk", None):
        return None
    return Subscription.objects.filter(user_id=user.pk).select_related("plan").order_by("-created_at", "-id").first()


_ENTITLEMENT_FIELDS = ("status", "trial_end", "current_period_end", "past_due_since")


@functools.cache
def _latest_entitlement_sql() -> str:
    """The reader's most recent subscription, only the columns the rule reads: one portable statement for every
    database, run through `Manager.raw()` (documented; values converted by the backend's converters as the ORM
    does). Every signed-in request asks it; the equivalent queryset spent 0.35 ms of CPU compiling SQL against
    0.1 ms here (in process, PostgreSQL; bench/RESULTS.md, 2026-12-03). Identifiers from model metadata, quoted."""
    meta, q = Subscription._meta, connection.ops.quote_name
    columns = ", ".join(q(meta.get_field(f).column) for f in ("id", *_ENTITLEMENT_FIELDS))
    user, created, pk = (q(meta.get_field(f).column) for f in ("user", "created_at", "id"))
    return (
        f"SELECT {columns} FROM {q(meta.db_table)} WHERE {user} = %s "  # noqa: S608
        f"ORDER BY {created} DESC, {pk} DESC LIMIT 1"
    )


def subscription_entitlement_get(*, user, now: datetime) -> Entitlement | None:
    """`subscription_entitlement(subscription_latest_get(user))` for the paywall's hot path (every request of a
    signed-in reader): the same row, but only the four columns the rule reads, without the plan. The Entitlement's
    `subscription` is then an unsaved instance holding those four fields."""
    if user is None or not getattr(user, "pk", None):
        return None
    subscription = next(iter(Subscription.objects.raw(_latest_entitlement_sql(), [user.pk])), None)
    return subscription_entitlement(subscription=subscription, now=now)


def subscription_entitlement(*, subscription: Subscription | None, now: datetime) -> Entitlement | None:
    """Whether a subscription grants access at `now`.

    trialing: until trial_end; active (also when cancel_at_period_end): until current_period_end;
    past_due: during BILLING_GRACE_DAYS after it fell due; expired and canceled: never.
    """
    if subscription is None:
        return None
    S = Subscription.Status
    if subscription.status == S.TRIALING:
        end = subscription.trial_end or subscription.current_period_end
        if end is None or end > now:
            return Entitlement("trial", subscription)
        return None
    if subscription.status == S.ACTIVE:
        end = subscription.current_period_end
        if end is None or end > now:
            return Entitlement("subscriber", subscription)
        return None
    if subscription.status == S.PAST_DUE:
        since = subscription.past_due_since or subscription.current_period_end or now
        if now < since + timedelta(days=settings.BILLING_GRACE_DAYS):
            return Entitlement("subscriber", subscription)
        return None
    return None


# A per-process copy of the limits for LOCAL_POLICY_SECONDS: the policy is read on every metered request, and this
# saves a cache round trip each time. A change reaches this process at once (meter_policy_update forgets it here
# and in the shared cache) and every other process within LOCAL_POLICY_SECONDS. What it buys, measured: one Redis
# round trip per metered request, 4-12 % of a metered detail's CPU (docs/caching.md, "Meter policy").
LOCAL_POLICY_SECONDS = 1.0
_local_policy: dict = {}


def meter_limits() -> tuple[int, int]:
    """(anonymous, registered) daily allowances: the staff-edited policy, else settings."""
    now = time.monotonic()
    memo = _local_policy.get("limits")
    if memo is not None and memo[0] > now:
        return memo[1]
    limits = cache.get(POLICY_CACHE_KEY)
    if limits is None:
        policy = MeterPolicy.objects.filter(pk=1).first()
        anon = policy.anonymous_limit if policy and policy.anonymous_limit is not None else None
        reg = policy.registered_limit if policy and policy.registered_limit is not None else None
        limits = (
            settings.PAYWALL_ANONYMOUS_DAILY_LIMIT if anon is None else anon,
            settings.PAYWALL_REGISTERED_DAILY_LIMIT if reg is None else reg,
        )
        cache.set(POLICY_CACHE_KEY, limits, 60)
    _local_policy["limits"] = (now + LOCAL_POLICY_SECONDS, tuple(limits))
    return limits


def meter_limits_forget(**_kwargs) -> None:
    """Drop the cached limits (this process's copy and the shared one)."""
    _local_policy.clear()
    cache.delete(POLICY_CACHE_KEY)


def _local_policy_forget(**_kwargs) -> None:
    # on any settings change (tests): the limits may come from settings; the cache itself may be the changed setting
    _local_policy.clear()


setting_changed.connect(_local_policy_forget, dispatch_uid="paywall.local_policy_forget")


def period_for(now: datetime) -> tuple[date, datetime]:
    """The meter period containing `now` (the publisher's local calendar day) and when it resets (local midnight)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(tz)
    day = local.date()
    next_midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return day, next_midnight


def meter_used(*, reader_key: str, period: date) -> int:
    return meter_look(reader_key=reader_key, period=period)[0]


def meter_look(*, reader_key: str, period: date, article_id: int | None = None) -> tuple[int, bool]:
    """(reads counted this period, whether `article_id` is one of them) without writing, in one statement: the
    paywall's "look" on every list, comment page and free article. A counted read always has its period row (both
    are written in one transaction), so no period row means (0, False)."""
    periods = MeterPeriod.objects.filter(reader_key=reader_key, period=period)  # unique: at most one row
    if article_id is None:
        return next(iter(periods.values_list("used", flat=True)[:1]), 0), False
    has_read = Exists(MeterRead.objects.filter(reader_key=reader_key, period=period, article_id=article_id))
    used, has_read = next(iter(periods.values_list("used", has_read)[:1]), (0, False))
    return used, bool(has_read)


def meter_read_ids(*, reader_key: str, period: date, article_ids: list[int]) -> set[int]:
    return set(
        MeterRead.objects.filter(reader_key=reader_key, period=period, article_id__in=article_ids).values_list(
            "article_id", flat=True
        )
    )


def plan_list_active():
    return Plan.objects.filter(active=True).order_by("ordering", "amount")


PLANS_CACHE_KEY = "paywall:plans-offered:v1"


def plan_offers() -> list[dict]:
    """The active plans as the paywall offers them (`code, name, amount, currency, interval, display`), cached:
    every metered-out or premium answer shows them. Plan saves and deletes forget the cached list (paywall/apps.py)."""
    offers = cache.get(PLANS_CACHE_KEY)
    if offers is None:
        offers = [
            {
                "code": p.code,
                "name": p.name,
                "amount": p.amount,
                "currency": p.currency,
                "interval": p.interval,
                "display": plan_display(p),
            }
            for p in plan_list_active()
        ]
        cache.set(PLANS_CACHE_KEY, offers, 3600)
    return offers


def plan_offers_forget(**_kwargs) -> None:
    cache.delete(PLANS_CACHE_KEY)


CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$"}


def plan_display(plan: Plan) -> str:
    """'$0.50/week'."""
    symbol = CURRENCY_SYMBOLS.get(plan.currency.lower())
    amount = f"{plan.amount / 100:.2f}"
    money = f"{symbol}{amount}" if symbol else f"{amount} {plan.currency.upper()}"
    return f"{money}/{plan.interval}"
