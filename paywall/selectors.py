"""Reads of paywall state: entitlements, allowances, plans, meter state."""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Min, Q
from django.utils import timezone

from cms.core.caching import generation_forget, generation_memo
from cms.core.db.rows import model_columns, rows_load

from .models import (
    Experiment,
    ExperimentAssignment,
    GiftLink,
    GroupMembership,
    GroupNetwork,
    MeterPolicy,
    MeterRead,
    MeterWindow,
    Plan,
    SectionMeterRule,
    Subscription,
)

POLICY_CACHE_KEY = "paywall:meter-policies:v2"
POLICY_CACHE_SECONDS = 300


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
_LATEST_FIELDS = frozenset(("id", *_ENTITLEMENT_FIELDS))
_READER_FIELDS = frozenset(("id", *_ENTITLEMENT_FIELDS, "group"))


@functools.cache
def _latest_entitlement_sql() -> str:
    """The reader's most recent subscription, only the columns the rule reads: one portable statement for every
    database, loaded by `cms.core.db.rows` (values converted by the backend's converters as the ORM does). Every
    signed-in request asks it; the equivalent queryset spent 0.35 ms of CPU compiling SQL against
    0.1 ms here (in process, PostgreSQL; bench/RESULTS.md, 2026-12-03). Identifiers from model metadata, quoted."""
    meta, q = Subscription._meta, connection.ops.quote_name
    columns = model_columns(Subscription, fields=_LATEST_FIELDS)
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
    rows = rows_load(Subscription, _latest_entitlement_sql(), [user.pk], fields=_LATEST_FIELDS)
    subscription = rows[0] if rows else None
    return subscription_entitlement(subscription=subscription, now=now)


@dataclass(frozen=True)
class ReaderEntitlements:
    """A signed-in reader's entitlements: the personal one (None: none live) and the group whose live subscription
    lets them in as a member (None: none)."""

    personal: Entitlement | None
    group_id: int | None


@functools.cache
def _reader_entitlements_sql() -> str:
    """The reader's most recent personal subscription (as `_latest_entitlement_sql`) and the live subscriptions of
    the groups they are a member of, in one portable statement (SQLite and PostgreSQL). Identifiers from model
    metadata, quoted; the statuses are our own constants."""
    meta, q = Subscription._meta, connection.ops.quote_name
    col = {f: q(meta.get_field(f).column) for f in ("id", "status", "group", "user", "created_at")}
    member = GroupMembership._meta
    m_group, m_user = (q(member.get_field(f).column) for f in ("group", "user"))
    live = ", ".join(f"'{status}'" for status in Subscription.LIVE_STATUSES)
    table, personal = q(meta.db_table), model_columns(Subscription, fields=_READER_FIELDS)
    return (
        f"SELECT * FROM (SELECT {personal} FROM {table} WHERE {col['user']} = %s "  # noqa: S608
        f"ORDER BY {col['created_at']} DESC, {col['id']} DESC LIMIT 1) AS personal "
        f"UNION ALL SELECT {model_columns(Subscription, table='s', fields=_READER_FIELDS)} FROM {table} s "
        f"INNER JOIN {q(member.db_table)} m ON m.{m_group} = s.{col['group']} "
        f"WHERE m.{m_user} = %s AND s.{col['status']} IN ({live})"
    )


def reader_entitlements_get(*, user, now: datetime) -> ReaderEntitlements:
    """`subscription_entitlement_get` and the reader's live group membership, in one query (the paywall's hot path
    for every signed-in request)."""
    if user is None or not getattr(user, "pk", None):
        return ReaderEntitlements(None, None)
    personal, group_id = None, None
    for row in rows_load(Subscription, _reader_entitlements_sql(), [user.pk, user.pk], fields=_READER_FIELDS):
        if row.group_id is None:
            personal = subscription_entitlement(subscription=row, now=now)
        elif group_id is None and subscription_entitlement(subscription=row, now=now) is not None:
            group_id = row.group_id
    return ReaderEntitlements(personal, group_id)


def _group_networks_build() -> tuple:
    """(cidr, group id, the group's live subscription's entitlement columns) of every network of a group with a live
    subscription: part of the cached policy book (`policy_book`), forgotten when a network or a group's subscription
    is saved (apps.py)."""
    live = Subscription.objects.live().filter(group__isnull=False)
    by_group = {s.group_id: s for s in live.only("group_id", *_ENTITLEMENT_FIELDS)}
    networks = GroupNetwork.objects.filter(group_id__in=list(by_group)).order_by("pk")
    return tuple(
        (cidr, group_id, *(getattr(by_group[group_id], f) for f in _ENTITLEMENT_FIELDS))
        for cidr, group_id in networks.values_list("cidr", "group_id")
    )


@functools.lru_cache(maxsize=64)
def _parsed_networks(rows: tuple) -> tuple:
    return tuple((ipaddress.ip_network(row[0], strict=False), row) for row in rows)


def group_network_for(*, ip: str | None, now: datetime, book: PolicyBook) -> int | None:
    """The group whose network (CIDR, IPv4 or IPv6) `ip` is in, while its subscription grants access; None
    otherwise. `ip` is the client address by the trusted-proxy rule (`accounts.addresses.client_ip`); the
    networks come with the policy book the meter reads anyway (no extra cache round trip)."""
    rows = book.networks
    if not ip or not rows:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    for network, row in _parsed_networks(rows):
        if address.version == network.version and address in network:
            sub = Subscription(**dict(zip(_ENTITLEMENT_FIELDS, row[2:], strict=True)))
            if subscription_entitlement(subscription=sub, now=now) is not None:
                return row[1]
    return None


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


@dataclass(frozen=True)
class Rules:
    """A meter policy's values as `_decide` reads them. An empty allowance (None) falls back to the default policy's,
    then to the settings (`rules_limits`)."""

    window: str = MeterWindow.DAY
    rolling_days: int = 30
    anonymous_limit: int | None = None
    registered_limit: int | None = None
    registration_wall: bool = False


@dataclass(frozen=True)
class SectionRule:
    mode: str  # SectionMeterRule.Mode
    anonymous_limit: int | None = None
    registered_limit: int | None = None


@dataclass(frozen=True)
class ArmPlan:
    id: int
    name: str
    share: int
    rules: Rules


@dataclass(frozen=True)
class ExperimentPlan:
    id: int
    slug: str
    start_at: datetime
    stop_at: datetime | None
    arms: tuple[ArmPlan, ...]

    def runs_at(self, now: datetime) -> bool:
        return self.start_at <= now and (self.stop_at is None or now < self.stop_at)


@dataclass(frozen=True)
class PolicyBook:
    """Everything `_decide` needs to know of the meter policies, cached as one object: the default policy, the
    section rules (by section id) and the experiments that have not stopped (the one running at a given moment is
    picked at request time, so a start or stop time needs no cache purge)."""

    default: Rules = Rules()
    sections: dict = field(default_factory=dict)
    experiments: tuple[ExperimentPlan, ...] = ()
    networks: tuple = ()  # the live groups' networks (`group_network_for`)

    def experiment_at(self, now: datetime) -> ExperimentPlan | None:
        return next((e for e in self.experiments if e.runs_at(now)), None)


def _rules(row) -> Rules:
    return Rules(row.window, row.rolling_days, row.anonymous_limit, row.registered_limit, row.registration_wall)


def _policy_book_build() -> PolicyBook:
    policy = MeterPolicy.objects.filter(pk=1).first()
    sections = {
        r.section_id: SectionRule(r.mode, r.anonymous_limit, r.registered_limit) for r in SectionMeterRule.objects.all()
    }
    experiments = Experiment.objects.filter(start_at__isnull=False).filter(
        Q(stop_at__isnull=True) | Q(stop_at__gt=timezone.now())
    )
    plans = tuple(
        ExperimentPlan(
            e.pk,
            e.slug,
            e.start_at,
            e.stop_at,
            tuple(ArmPlan(a.pk, a.name, a.share, _rules(a)) for a in e.arms.all()),
        )
        for e in experiments.order_by("start_at", "pk").prefetch_related("arms")
    )
    return PolicyBook(_rules(policy) if policy else Rules(), sections, plans, _group_networks_build())


def policy_book() -> PolicyBook:
    """The meter policies: kept in the process for the content generation the request read (`generation_memo`: no
    cache round trip on a detail), else from the shared cache, filled from the database on a miss. Every save of a
    policy, section rule, experiment or arm drops them and moves the generation on (paywall/apps.py), so a change
    applies to the next request in every process. Settings (default allowances) are applied at read time, never
    cached."""
    return generation_memo(POLICY_CACHE_KEY, _policy_book_shared)


def _policy_book_shared() -> PolicyBook:
    book = cache.get(POLICY_CACHE_KEY)
    if book is None:
        book = _policy_book_build()
        cache.set(POLICY_CACHE_KEY, book, POLICY_CACHE_SECONDS)
    return book


def group_networks_forget(*, instance=None, **_kwargs) -> None:
    """A network or a group's subscription changed: drop the policy book that carries the networks (a signal receiver:
    cache purge only). A reader's own subscription changes nothing there."""
    if isinstance(instance, Subscription) and instance.group_id is None:
        return
    meter_limits_forget()


def meter_limits_forget(**_kwargs) -> None:
    """Drop the cached policies everywhere (a signal receiver too: cache purge only)."""
    generation_forget(POLICY_CACHE_KEY)


def rules_limits(rules: Rules, default: Rules | None = None) -> tuple[int, int]:
    """(anonymous, registered) allowances of `rules`: empty values fall back to `default`'s, then to the settings."""
    anon, reg = rules.anonymous_limit, rules.registered_limit
    if default is not None:
        anon = default.anonymous_limit if anon is None else anon
        reg = default.registered_limit if reg is None else reg
    return (
        settings.PAYWALL_ANONYMOUS_DAILY_LIMIT if anon is None else anon,
        settings.PAYWALL_REGISTERED_DAILY_LIMIT if reg is None else reg,
    )


def meter_limits() -> tuple[int, int]:
    """(anonymous, registered) allowances of the default policy."""
    return rules_limits(policy_book().default)


def experiment_assignment_arm(*, experiment_id: int, reader_key: str) -> tuple[bool, int | None]:
    """(whether the account has a stored assignment, its arm id: None for outside the traffic)."""
    row = ExperimentAssignment.objects.filter(experiment_id=experiment_id, reader_key=reader_key).values_list(
        "arm_id", flat=True
    )
    found = list(row[:1])
    return (True, found[0]) if found else (False, None)


def period_for(now: datetime) -> tuple[date, datetime]:
    """The local calendar day containing `now` (the publisher's zone) and its end (the next local midnight)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    day = now.astimezone(tz).date()
    return day, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)


@dataclass(frozen=True)
class MeterUse:
    """A reader's bucket in a window: `used` (distinct articles counted), whether the asked article is one of them,
    and the day of the oldest counted read (None without reads)."""

    used: int = 0
    has_read: bool = False
    oldest: date | None = None


def _window_reads(reader_keys, first_day: date, day: date, using: str | None = None):
    return MeterRead.objects.using(using).filter(
        reader_key__in=list(reader_keys), period__gte=first_day, period__lte=day
    )


def meter_use(
    *, reader_key: str, first_day: date, day: date, article_id: int | None = None, using: str | None = None
) -> MeterUse:
    """The reader's use of the window `first_day`..`day` without writing, in one statement: the paywall's "look" on
    every list, comment page and free article. The window counts distinct articles over its days' reads."""
    asked = {"read": Count("id", filter=Q(article_id=article_id))} if article_id is not None else {}
    row = _window_reads([reader_key], first_day, day, using).aggregate(
        used=Count("article_id", distinct=True), oldest=Min("period"), **asked
    )
    return MeterUse(row["used"], bool(row.get("read")), row["oldest"])


def meter_uses(*, reader_keys, first_day: date, day: date, article_ids: list[int]) -> tuple[dict, set]:
    """For a list: ({reader_key: MeterUse}, {(reader_key, article_id) read in the window}), in two statements."""
    reads = _window_reads(reader_keys, first_day, day)
    uses = {
        row["reader_key"]: MeterUse(row["used"], False, row["oldest"])
        for row in reads.values("reader_key").annotate(used=Count("article_id", distinct=True), oldest=Min("period"))
    }
    read = (
        set(reads.filter(article_id__in=article_ids).values_list("reader_key", "article_id")) if article_ids else set()
    )
    return uses, read


def plan_list_active():
    """The plans on sale to readers (group plans, sold per seat, apart)."""
    return Plan.objects.filter(active=True, per_seat=False).order_by("ordering", "amount")


PLANS_CACHE_KEY = "paywall:plans-offered:v1"


def plan_offers() -> list[dict]:
    """The active plans as the paywall offers them (`code, name, amount, currency, interval, display`): every
    metered-out or premium answer shows them, so they are kept like the policies (`generation_memo`, then the
    shared cache). Plan saves and deletes forget them everywhere (paywall/apps.py)."""
    return generation_memo(PLANS_CACHE_KEY, _plan_offers_shared)


def _plan_offers_shared() -> list[dict]:
    offers = cache.get(PLANS_CACHE_KEY)
    if offers is None:
        offers = [{"code": p.code, "name": p.name, **plan_price(p)} for p in plan_list_active()]
        cache.set(PLANS_CACHE_KEY, offers, 3600)
    return offers


def plan_offers_forget(**_kwargs) -> None:
    generation_forget(PLANS_CACHE_KEY)


CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$"}


def plan_price(plan: Plan) -> dict:
    """A plan's price as REST (`price`), GraphQL (`Plan.price`) and the paywall's offers send it."""
    return {"amount": plan.amount, "currency": plan.currency, "interval": plan.interval, "display": plan_display(plan)}


def plan_display(plan: Plan) -> str:
    """'$0.50/week'."""
    symbol = CURRENCY_SYMBOLS.get(plan.currency.lower())
    amount = f"{plan.amount / 100:.2f}"
    money = f"{symbol}{amount}" if symbol else f"{amount} {plan.currency.upper()}"
    return f"{money}/{plan.interval}" + (" per seat" if plan.per_seat else "")


GIFT_LINKS_LISTED = 100


def gift_link_list_for_giver(*, user) -> list[GiftLink]:
    """The reader's gift links, newest first (the latest GIFT_LINKS_LISTED), with their article: one query."""
    qs = GiftLink.objects.filter(giver_id=user.pk).select_related("article").order_by("-created_at", "-id")
    return list(qs[:GIFT_LINKS_LISTED])


STORE_PROVIDERS = ("app_store", "google_play")
APP_STORE_MANAGE_URL = "https://apps.apple.com/account/subscriptions"
GOOGLE_PLAY_MANAGE_URL = "https://play.google.com/store/account/subscriptions"


def subscription_manage_url(*, subscription: Subscription) -> str | None:
    """Where the reader manages a store subscription (the store's subscription settings); None for the others,
    which are managed here. Reads the plan (select it with the subscription)."""
    if subscription.provider == "app_store":
        return APP_STORE_MANAGE_URL
    if subscription.provider == "google_play":
        product = subscription.plan.google_play_product_id if subscription.plan else ""
        query = f"?sku={product}&package={settings.GOOGLE_PLAY_PACKAGE_NAME}" if product else ""
        return f"{GOOGLE_PLAY_MANAGE_URL}{query}"
    return None
