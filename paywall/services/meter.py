"""The meter: who gets how many metered reads in which window, counting a read (once per reader, article and window,
never past the limit), moving an anonymous reader's reads to an account, the default policy, and the daily close.
Which policy applies to a reader (the default or an experiment arm) and the windows: `policies.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from ..models import MeterDailyStat, MeterPeriod, MeterPolicy, MeterRead, MeterWindow, SectionMeterRule
from ..readers import Reader
from ..selectors import (
    MeterUse,
    Rules,
    SectionRule,
    group_network_for,
    meter_limits_forget,
    meter_use,
    policy_book,
    reader_entitlements_get,
)
from .policies import (
    ReaderPolicy,
    Window,
    experiment_arm_carry,
    meter_window_days_longest,
    reader_policy,
    window_for,
)

COUNTED, ALREADY_READ, EXHAUSTED = "counted", "already_read", "exhausted"


@dataclass(frozen=True)
class ReaderState:
    """What the meter knows of a reader now: `kind` (anonymous, registered, trial, subscriber, staff), the allowance
    `limit` per window (None: unlimited), the window's first local day (`period`) and its end (`resets_at`; for a
    rolling window see `resets_at_for`), and the policy that applies: `window` (and `rolling_days`), the local `day`
    reads are stored under, `registration_wall`, the experiment arm (`policy`) and the section rules."""

    kind: str
    limit: int | None
    period: date
    resets_at: datetime
    day: date | None = None
    window: str = MeterWindow.DAY
    rolling_days: int = 0
    registration_wall: bool = False
    policy: dict | None = None
    sections: dict = field(default_factory=dict)
    group_id: int | None = None
    group_via: str | None = None  # "member" (a seat in a live group) or "network" (a request from its CIDR ranges)

    @property
    def today(self) -> date:
        return self.day or self.period

    def resets_at_for(self, oldest: date | None) -> datetime:
        if self.window != MeterWindow.ROLLING or oldest is None:
            return self.resets_at
        return Window(self.window, self.period, self.today, self.resets_at).resets_at_for(oldest)

    def section_rule(self, section_id: int | None) -> SectionRule | None:
        return self.sections.get(section_id) if section_id is not None else None

    def section_bucket(self, section_id: int, rule: SectionRule) -> tuple[str, int | None]:
        """(meter key suffix, allowance) of a section with its own allowance: an empty one is the main allowance."""
        own = rule.anonymous_limit if self.kind == "anonymous" else rule.registered_limit
        return f"#s{section_id}", self.limit if own is None or self.limit is None else own


_METERED_KINDS = ("anonymous", "registered")


def _reader_kind(*, reader: Reader, now: datetime) -> tuple[str, int | None, str | None]:
    """(kind, group id, how the group lets the reader in). A member of a live group reads as a subscriber, unless a
    personal subscription says trial or subscriber itself (it keeps its own state); a request from a live group's
    network keeps the reader's own kind (`reader_state` looks at the networks for the metered kinds)."""
    user = reader.user
    if user is not None and user.is_staff:
        return "staff", None, None
    kind = "anonymous"
    if user is not None:
        entitlements = reader_entitlements_get(user=user, now=now)
        kind = entitlements.personal.kind if entitlements.personal is not None else "registered"
        if entitlements.group_id is not None:
            return ("subscriber" if kind == "registered" else kind), entitlements.group_id, "member"
    return kind, None, None


_UNLIMITED_POLICY = ReaderPolicy(Rules(), (0, 0), None, {})


def reader_state(*, reader: Reader, now: datetime) -> ReaderState:
    """The reader's kind and the policy that applies. Readers the meter does not limit (staff, subscribers, trials)
    read no policy at all (no cache read): their window is the local day, and section rules change nothing for them
    (every article is theirs)."""
    kind, group_id, group_via = _reader_kind(reader=reader, now=now)
    metered = kind in _METERED_KINDS
    policy = _UNLIMITED_POLICY
    if metered:
        book = policy_book()
        network = group_network_for(ip=reader.client_ip, now=now, book=book) if group_id is None else None
        if network is not None:  # a request from a live group's network: read in full, the reader's kind kept
            group_id, group_via = network, "network"
        policy = reader_policy(reader_key=reader.key if (reader.user or reader.anon_id) else None, now=now, book=book)
    window = window_for(rules=policy.rules, now=now)
    limit = policy.limits[0 if kind == "anonymous" else 1] if metered else None
    return ReaderState(
        kind,
        limit,
        window.first_day,
        window.ends_at,
        day=window.day,
        window=window.kind,
        rolling_days=policy.rules.rolling_days,
        registration_wall=policy.rules.registration_wall,
        policy=policy.tag,
        sections=policy.sections,
        group_id=group_id,
        group_via=group_via,
    )


class MeterCount(NamedTuple):
    """What counting a read did: `outcome` (COUNTED, ALREADY_READ or EXHAUSTED), the window's `used` after it, and
    the local day of the oldest read counted in the window (None without reads)."""

    outcome: str
    used: int
    oldest: date | None


def meter_read_record(
    *, reader: Reader, article_id: int, state: ReaderState, suffix: str = "", limit: int | None = None
) -> MeterCount:
    """Count a metered read, at most once per (reader, article, window), never past the limit. The read is stored
    under the local day; the window's `used` is the number of distinct articles of its days' reads. `suffix` and
    `limit`: a section's own bucket (`#s<id>`, its allowance); by default the reader's main allowance.

    Locking: the reader's MeterPeriod row of the day is created if missing and locked (SELECT ... FOR UPDATE) for
    the rest of the transaction, so concurrent requests of one reader are serialised: with a limit of 5 and 50
    concurrent requests for 50 articles, exactly 5 are granted, whatever the window. (Two requests that straddle a
    local midnight inside a multi-day window lock two different days' rows.) On SQLite the transaction holds the
    database write lock (transaction_mode=IMMEDIATE), which serialises it the same way.

    Two implementations of these steps, chosen by `meter_read_recorder`, that the same tests run on PostgreSQL
    (tests/paywall/services/test_meter_concurrency.py): the ORM (every database) and, on PostgreSQL, the stored
    function `masthead_meter_read` (migrations 0004, 0005, 0007), one round trip instead of up to seven statements:
    the anonymous counted read is the paywall's hottest write (figures in docs/billing.md, "The counted read").
    """
    connection = connections[router.db_for_write(MeterPeriod)]
    record = meter_read_recorder(connection)
    return MeterCount(
        *record(
            connection,
            key=reader.key + suffix,
            first_day=state.period,
            day=state.today,
            article_id=article_id,
            limit=state.limit if limit is None else limit,
        )
    )


def meter_read_recorder(connection):
    """The implementation of `meter_read_record` for this connection."""
    return _meter_read_with_function if connection.vendor == "postgresql" else _meter_read_with_orm


_METER_READ_SQL = "SELECT outcome, used, oldest FROM masthead_meter_read(%s, %s, %s, %s, %s)"
_ASYNC_COMMIT_SQL = "SET LOCAL synchronous_commit TO off; "


def _meter_read_with_function(connection, *, key: str, first_day: date, day: date, article_id: int, limit: int):
    """One round trip. With `PAYWALL_METER_SYNCHRONOUS_COMMIT = False` the counted read commits without waiting
    for the WAL flush: `SET LOCAL` in the same statement string, so it applies to this implicit transaction only;
    never inside an outer transaction, whose other writes must stay durable."""
    sql = _METER_READ_SQL
    if not settings.PAYWALL_METER_SYNCHRONOUS_COMMIT and not connection.in_atomic_block:
        sql = _ASYNC_COMMIT_SQL + sql
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, first_day, day, article_id, limit])
        outcome, used, oldest = cursor.fetchone()
    return outcome, used, oldest


def _meter_read_with_orm(connection, *, key: str, first_day: date, day: date, article_id: int, limit: int):
    alias = connection.alias
    periods, reads = MeterPeriod.objects.using(alias), MeterRead.objects.using(alias)
    with transaction.atomic(using=alias):
        periods.bulk_create([MeterPeriod(reader_key=key, period=day)], ignore_conflicts=True)
        meter = periods.select_for_update().get(reader_key=key, period=day)
        use = meter_use(reader_key=key, first_day=first_day, day=day, article_id=article_id, using=alias)
        if use.has_read:
            return ALREADY_READ, use.used, use.oldest
        if use.used >= limit:
            periods.filter(pk=meter.pk).update(paywall_hits=F("paywall_hits") + 1)
            return EXHAUSTED, use.used, use.oldest
        reads.create(reader_key=key, period=day, article_id=article_id)
        periods.filter(pk=meter.pk).update(used=F("used") + 1)
        return COUNTED, use.used + 1, use.oldest or day


def meter_state(*, reader: Reader, now: datetime | None = None) -> dict:
    """The reader's main allowance, without counting: `{reader_kind, limit, used, remaining, resets_at, period}`,
    `period` being the first local day of the window."""
    now = now or timezone.now()
    state = reader_state(reader=reader, now=now)
    use = MeterUse()
    if reader.user or reader.anon_id:
        use = meter_use(reader_key=reader.key, first_day=state.period, day=state.today)
    return {
        "reader_kind": state.kind,
        "limit": state.limit,
        "used": use.used,
        "remaining": None if state.limit is None else max(state.limit - use.used, 0),
        "resets_at": state.resets_at_for(use.oldest),
        "period": state.period,
    }


def meter_merge(*, anon_id: str, user, now: datetime | None = None, registered: bool = False) -> int:
    """Move an anonymous reader's reads of the account's current window (its main allowance and each section's own)
    to the account that just logged in or registered. On registration (`registered=True`) the account also keeps
    the anonymous reader's experiment arm (`experiment_arm_carry`); on login an account keeps its own.

    No double counting (an article read under both ids counts once in the window) and no fresh allowance: each read
    keeps its local day, and the account's day rows count the reads they hold. Returns the number of reads moved.
    """
    now = now or timezone.now()
    if registered:
        experiment_arm_carry(anon_id=anon_id, user=user, now=now)
    anon_key, user_key = f"a:{anon_id}", f"u:{user.pk}"
    policy = reader_policy(reader_key=user_key, now=now)
    current = window_for(rules=policy.rules, now=now)
    suffixes = [""] + [f"#s{sid}" for sid, rule in policy.sections.items() if rule.mode == SectionMeterRule.Mode.OWN]
    window = Q(period__gte=current.first_day, period__lte=current.day)
    moved = 0
    with transaction.atomic():
        for suffix in suffixes:
            moved += _reads_move(source=anon_key + suffix, target=user_key + suffix, window=window, day=current.day)
    return moved


def _reads_move(*, source: str, target: str, window: Q, day: date) -> int:
    """Move `source`'s reads in `window` to `target` (in the caller's transaction; `target`'s row of `day` locked)."""
    MeterPeriod.objects.bulk_create([MeterPeriod(reader_key=target, period=day)], ignore_conflicts=True)
    MeterPeriod.objects.select_for_update().get(reader_key=target, period=day)
    reads = list(MeterRead.objects.filter(window, reader_key=source).values_list("period", "article_id"))
    if not reads:
        return 0
    MeterRead.objects.bulk_create(
        [MeterRead(reader_key=target, period=period, article_id=aid) for period, aid in reads], ignore_conflicts=True
    )
    days = {period for period, _ in reads}
    MeterPeriod.objects.bulk_create(
        [MeterPeriod(reader_key=target, period=period) for period in days], ignore_conflicts=True
    )
    counts = dict(
        MeterRead.objects.filter(reader_key=target, period__in=days)
        .values("period")
        .annotate(n=Count("id"))
        .values_list("period", "n")
    )
    for period, n in counts.items():
        MeterPeriod.objects.filter(reader_key=target, period=period).update(used=n)
    MeterRead.objects.filter(window, reader_key=source).delete()
    MeterPeriod.objects.filter(window, reader_key=source).delete()
    return len(reads)


_POLICY_FIELDS = (
    "window",
    "rolling_days",
    "anonymous_limit",
    "registered_limit",
    "registration_wall",
    "attribution_days",
)


def meter_policy_update(**values) -> MeterPolicy:
    """Change the default policy (any of `window`, `rolling_days`, `anonymous_limit`, `registered_limit`,
    `registration_wall`, `attribution_days`). Takes effect at the next request in every process; counts are kept,
    and as a window counts the reads of its days, a new window gives no fresh allowance."""
    unknown = set(values) - set(_POLICY_FIELDS)
    if unknown:
        raise TypeError(f"meter_policy_update: unknown fields {sorted(unknown)}")
    policy, _ = MeterPolicy.objects.update_or_create(pk=1, defaults=values)
    meter_limits_forget()  # (the save's signal does too; now and at commit, see generation_forget)
    return policy


def meter_periods_close(*, now: datetime | None = None) -> dict:
    """The daily reset job. Closes every finished local day into MeterDailyStat and purges raw meter rows older than
    PAYWALL_METER_RETENTION_DAYS, or than the longest window in use when that is longer (a window counts its days'
    raw reads). `readers` counts readers, not their sections' own buckets.

    Idempotent: aggregates are recomputed from the raw rows (so running it twice, late, or on two beat instances
    writes the same figures), and a day whose raw rows are already purged keeps its stored aggregate.
    The "reset" itself is implicit: a window is a range of local days, so allowances start afresh when it moves.
    """
    now = now or timezone.now()
    today = window_for(rules=policy_book().default, now=now).day
    days = (
        MeterPeriod.objects.filter(period__lt=today)
        .values("period")
        .annotate(readers=Count("id", filter=~Q(reader_key__contains="#")), reads=Sum("used"), hits=Sum("paywall_hits"))
    )
    closed = 0
    for row in days:
        MeterDailyStat.objects.update_or_create(
            day=row["period"],
            defaults={"readers": row["readers"], "metered_reads": row["reads"] or 0, "paywall_hits": row["hits"] or 0},
        )
        closed += 1
    keep_days = max(settings.PAYWALL_METER_RETENTION_DAYS, meter_window_days_longest(book=policy_book()))
    cutoff = today - timedelta(days=keep_days)
    purged_reads, _ = MeterRead.objects.filter(period__lt=cutoff).delete()
    purged_periods, _ = MeterPeriod.objects.filter(period__lt=cutoff).delete()
    return {"closed_days": closed, "purged_reads": purged_reads, "purged_periods": purged_periods}
