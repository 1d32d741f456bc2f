"""The meter: who gets how many metered reads, counting a read (once per reader, article and period, never past the
limit), moving an anonymous reader's reads to an account, the allowances, and the daily close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from ..models import MeterDailyStat, MeterPeriod, MeterPolicy, MeterRead
from ..readers import Reader
from ..selectors import meter_limits, meter_limits_forget, meter_used, period_for, subscription_entitlement_get

COUNTED, ALREADY_READ, EXHAUSTED = "counted", "already_read", "exhausted"


@dataclass(frozen=True)
class ReaderState:
    """What the meter knows of a reader now: `kind` (anonymous, registered, trial, subscriber, staff), the daily
    `limit` (None: unlimited), the current `period` and when it resets."""

    kind: str
    limit: int | None
    period: date
    resets_at: datetime


def reader_state(*, reader: Reader, now: datetime) -> ReaderState:
    period, resets_at = period_for(now)
    user = reader.user
    if user is not None and user.is_staff:
        return ReaderState("staff", None, period, resets_at)
    if user is not None:
        entitlement = subscription_entitlement_get(user=user, now=now)
        if entitlement is not None:
            return ReaderState(entitlement.kind, None, period, resets_at)
        return ReaderState("registered", meter_limits()[1], period, resets_at)
    return ReaderState("anonymous", meter_limits()[0], period, resets_at)


def meter_read_record(*, reader: Reader, article_id: int, state: ReaderState) -> tuple[str, int]:
    """Count a metered read, at most once per (reader, article, period), never past the limit: (outcome, used) with
    outcome COUNTED, ALREADY_READ or EXHAUSTED (which also counts a paywall hit).

    Locking: the reader's MeterPeriod row is created if missing and locked (SELECT ... FOR UPDATE) for the rest of
    the transaction, so concurrent requests of one reader are serialised: with a limit of 5 and 50 concurrent
    requests for 50 articles, exactly 5 are granted. On SQLite the transaction holds the database write lock
    (transaction_mode=IMMEDIATE), which serialises it the same way.

    Two implementations of these steps, chosen by `meter_read_recorder`, that the same tests run on PostgreSQL
    (tests/paywall/services/test_meter_concurrency.py): the ORM (every database) and, on PostgreSQL, the stored
    function `masthead_meter_read` (migrations 0004 and 0005), one round trip instead of up to seven statements:
    the anonymous counted read is the paywall's hottest write (figures in docs/billing.md, "The counted read").
    """
    connection = connections[router.db_for_write(MeterPeriod)]
    record = meter_read_recorder(connection)
    return record(connection, key=reader.key, period=state.period, article_id=article_id, limit=state.limit)


def meter_read_recorder(connection):
    """The implementation of `meter_read_record` for this connection."""
    return _meter_read_with_function if connection.vendor == "postgresql" else _meter_read_with_orm


_METER_READ_SQL = "SELECT outcome, used FROM masthead_meter_read(%s, %s, %s, %s)"
_ASYNC_COMMIT_SQL = "SET LOCAL synchronous_commit TO off; "


def _meter_read_with_function(connection, *, key: str, period: date, article_id: int, limit: int) -> tuple[str, int]:
    """One round trip. With `PAYWALL_METER_SYNCHRONOUS_COMMIT = False` the counted read commits without waiting
    for the WAL flush: `SET LOCAL` in the same statement string, so it applies to this implicit transaction only;
    never inside an outer transaction, whose other writes must stay durable."""
    sql = _METER_READ_SQL
    if not settings.PAYWALL_METER_SYNCHRONOUS_COMMIT and not connection.in_atomic_block:
        sql = _ASYNC_COMMIT_SQL + sql
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, period, article_id, limit])
        outcome, used = cursor.fetchone()
    return outcome, used


def _meter_read_with_orm(connection, *, key: str, period: date, article_id: int, limit: int) -> tuple[str, int]:
    alias = connection.alias
    periods, reads = MeterPeriod.objects.using(alias), MeterRead.objects.using(alias)
    with transaction.atomic(using=alias):
        periods.bulk_create([MeterPeriod(reader_key=key, period=period)], ignore_conflicts=True)
        meter = periods.select_for_update().get(reader_key=key, period=period)
        if reads.filter(reader_key=key, period=period, article_id=article_id).exists():
            return ALREADY_READ, meter.used
        if meter.used >= limit:
            periods.filter(pk=meter.pk).update(paywall_hits=F("paywall_hits") + 1)
            return EXHAUSTED, meter.used
        reads.create(reader_key=key, period=period, article_id=article_id)
        periods.filter(pk=meter.pk).update(used=F("used") + 1)
        return COUNTED, meter.used + 1


def meter_state(*, reader: Reader, now: datetime | None = None) -> dict:
    """The reader's allowance, without counting: `{reader_kind, limit, used, remaining, resets_at, period}`."""
    now = now or timezone.now()
    state = reader_state(reader=reader, now=now)
    used = meter_used(reader_key=reader.key, period=state.period) if (reader.user or reader.anon_id) else 0
    return {
        "reader_kind": state.kind,
        "limit": state.limit,
        "used": used,
        "remaining": None if state.limit is None else max(state.limit - used, 0),
        "resets_at": state.resets_at,
        "period": state.period,
    }


def meter_merge(*, anon_id: str, user, now: datetime | None = None) -> int:
    """Move an anonymous reader's reads of the current period to the account that just logged in or registered.

    No double counting (an article read under both ids counts once) and no fresh allowance: the account's `used`
    becomes the number of distinct articles read in the period under either id. Returns the number moved.
    """
    now = now or timezone.now()
    period, _ = period_for(now)
    anon_key, user_key = f"a:{anon_id}", f"u:{user.pk}"
    with transaction.atomic():
        MeterPeriod.objects.bulk_create([MeterPeriod(reader_key=user_key, period=period)], ignore_conflicts=True)
        meter = MeterPeriod.objects.select_for_update().get(reader_key=user_key, period=period)
        anon_article_ids = list(
            MeterRead.objects.filter(reader_key=anon_key, period=period).values_list("article_id", flat=True)
        )
        if not anon_article_ids:
            return 0
        MeterRead.objects.bulk_create(
            [MeterRead(reader_key=user_key, period=period, article_id=aid) for aid in anon_article_ids],
            ignore_conflicts=True,
        )
        total = MeterRead.objects.filter(reader_key=user_key, period=period).count()
        MeterPeriod.objects.filter(pk=meter.pk).update(used=total)
        MeterRead.objects.filter(reader_key=anon_key, period=period).delete()
        MeterPeriod.objects.filter(reader_key=anon_key, period=period).delete()
    return len(anon_article_ids)


def meter_policy_update(*, anonymous_limit: int | None, registered_limit: int | None) -> MeterPolicy:
    """Change the allowances. Takes effect at once for the current period; counts are kept."""
    policy, _ = MeterPolicy.objects.update_or_create(
        pk=1,
        defaults={"anonymous_limit": anonymous_limit, "registered_limit": registered_limit},
    )
    transaction.on_commit(meter_limits_forget)
    meter_limits_forget()
    return policy


def meter_periods_close(*, now: datetime | None = None) -> dict:
    """The daily reset job. Closes every finished period into MeterDailyStat and purges raw meter rows older than
    PAYWALL_METER_RETENTION_DAYS.

    Idempotent: aggregates are recomputed from the raw rows (so running it twice, late, or on two beat instances
    writes the same figures), and a day whose raw rows are already purged keeps its stored aggregate.
    The "reset" itself is implicit: a new local day is a new period key, so allowances start afresh at midnight.
    """
    now = now or timezone.now()
    today, _ = period_for(now)
    days = (
        MeterPeriod.objects.filter(period__lt=today)
        .values("period")
        .annotate(readers=Count("id"), reads=Sum("used"), hits=Sum("paywall_hits"))
    )
    closed = 0
    for row in days:
        MeterDailyStat.objects.update_or_create(
            day=row["period"],
            defaults={"readers": row["readers"], "metered_reads": row["reads"] or 0, "paywall_hits": row["hits"] or 0},
        )
        closed += 1
    cutoff = today - timedelta(days=settings.PAYWALL_METER_RETENTION_DAYS)
    purged_reads, _ = MeterRead.objects.filter(period__lt=cutoff).delete()
    purged_periods, _ = MeterPeriod.objects.filter(period__lt=cutoff).delete()
    return {"closed_days": closed, "purged_reads": purged_reads, "purged_periods": purged_periods}
