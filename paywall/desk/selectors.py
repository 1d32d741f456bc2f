"""Reads for the revenue desk: paying subscribers and monthly recurring revenue by plan, and the meter distribution.
Each is a constant number of queries, whatever the range or the number of readers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum

from ..models import MeterPeriod, MeterUsageStat, Plan, Subscription
from ..selectors import plan_display

# A plan's price as a monthly figure: a month is 52/12 weeks (the average month, 4.33 weeks), a year 12 months.
MONTHS_PER_INTERVAL = {
    Plan.Interval.WEEK: Decimal(12) / Decimal(52),
    Plan.Interval.MONTH: Decimal(1),
    Plan.Interval.YEAR: Decimal(12),
}


def monthly_amount(*, amount: int, interval: str) -> Decimal:
    """A price in minor units per `interval`, as minor units per month (unrounded): week x 52 / 12, year / 12."""
    return Decimal(amount) / MONTHS_PER_INTERVAL[interval]


@dataclass(frozen=True)
class PlanRevenue:
    code: str
    name: str
    price: str
    currency: str
    interval: str
    paying: int
    past_due: int
    mrr: int  # minor units per month, rounded half up


@dataclass
class Revenue:
    plans: list[PlanRevenue]
    paying: int = 0
    past_due: int = 0
    comp: int = 0
    trialing: int = 0
    mrr_by_currency: dict[str, int] = field(default_factory=dict)


def revenue_by_plan(*, now: datetime) -> Revenue:
    """Current paying subscribers and monthly recurring revenue (MRR) by plan, in two queries.

    Paying: an `active` subscription on a plan, not complimentary, whose paid period has not ended at `now`. Its plan
    price counts towards MRR, normalised to a month (`monthly_amount`). `past_due` subscriptions (a renewal failed;
    still entitled during the grace days) are counted apart and left out of MRR; gifts (`is_comp`) and trials are
    neither paying nor revenue: they are given as totals."""
    S = Subscription.Status
    in_period = Q(subscriptions__current_period_end__isnull=True) | Q(subscriptions__current_period_end__gt=now)
    paid = Q(subscriptions__is_comp=False) & in_period
    plans = Plan.objects.annotate(
        paying=Count("subscriptions", filter=paid & Q(subscriptions__status=S.ACTIVE)),
        past_due=Count("subscriptions", filter=Q(subscriptions__is_comp=False, subscriptions__status=S.PAST_DUE)),
    ).order_by("ordering", "amount", "id")
    rows, mrr = [], defaultdict(int)
    for plan in plans:
        if not (plan.active or plan.paying or plan.past_due):
            continue
        amount = (monthly_amount(amount=plan.amount, interval=plan.interval) * plan.paying).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        rows.append(
            PlanRevenue(plan.code, plan.name, plan_display(plan), plan.currency.lower(), plan.interval,
                        plan.paying, plan.past_due, int(amount))
        )  # fmt: skip
        mrr[plan.currency.lower()] += int(amount)
    others = Subscription.objects.filter(status__in=(S.ACTIVE, S.TRIALING)).aggregate(
        comp=Count("id", filter=Q(is_comp=True)), trialing=Count("id", filter=Q(status=S.TRIALING, is_comp=False))
    )
    return Revenue(
        plans=rows,
        paying=sum(r.paying for r in rows),
        past_due=sum(r.past_due for r in rows),
        comp=others["comp"],
        trialing=others["trialing"],
        mrr_by_currency=dict(mrr),
    )


@dataclass(frozen=True)
class UsageBucket:
    used: int
    readers: int
    walled: int


@dataclass
class MeterDistribution:
    """For each reader kind, how many reader-days had 0, 1, 2 ... counted reads of the main allowance, and how many
    of them met the wall. The meter stores a row per reader and local day (`MeterPeriod.period`), whatever the
    window: with the daily window a row is the whole allowance; with a longer one, that day's share of it."""

    kinds: dict[str, list[UsageBucket]]
    readers: dict[str, int]
    walled: dict[str, int]

    @property
    def widest(self) -> int:
        """The largest bucket, of any kind (the bars' scale)."""
        return max((b.readers for buckets in self.kinds.values() for b in buckets), default=0)


def meter_distribution(*, start: date, end: date, today: date) -> MeterDistribution:
    """The meter distribution of the local days `start`..`end` (inclusive): the stored close (`MeterUsageStat`) of
    the days before `today`, and the live raw rows of today (the close has not run on it yet). Two queries,
    whatever the range."""
    counts: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    closed = (
        MeterUsageStat.objects.filter(period__gte=start, period__lte=end, period__lt=today)
        .values("kind", "used")
        .annotate(n=Sum("readers"), w=Sum("walled"))
    )
    for row in closed:
        counts[(row["kind"], row["used"])][0] += row["n"]
        counts[(row["kind"], row["used"])][1] += row["w"]
    if end >= today:
        for row in meter_usage_rows(periods=MeterPeriod.objects.filter(period__gte=max(start, today), period__lte=end)):
            counts[(row["kind"], row["used"])][0] += row["readers"]
            counts[(row["kind"], row["used"])][1] += row["walled"]
    kinds: dict[str, list[UsageBucket]] = {}
    for kind in MeterUsageStat.Kind.values:
        used_levels = sorted(used for k, used in counts if k == kind)
        top = used_levels[-1] if used_levels else -1
        kinds[kind] = [UsageBucket(u, *counts.get((kind, u), (0, 0))) for u in range(top + 1)]
    return MeterDistribution(
        kinds=kinds,
        readers={k: sum(b.readers for b in v) for k, v in kinds.items()},
        walled={k: sum(b.walled for b in v) for k, v in kinds.items()},
    )


def meter_usage_rows(*, periods):
    """The meter distribution of raw MeterPeriod rows, grouped by period, reader kind and `used`: dicts with
    `period, kind, used, readers, walled`. The kind is read from the reader key ("a:<id>" anonymous, "u:<id>" an
    account); a section's own allowance (a key with a "#s<section>" suffix) is counted apart and left out here."""
    anonymous = Q(reader_key__startswith="a:")
    grouped = (
        periods.exclude(reader_key__contains="#")
        .values("period", "used")
        .annotate(
            anon=Count("id", filter=anonymous),
            anon_walled=Count("id", filter=anonymous & Q(paywall_hits__gt=0)),
            reg=Count("id", filter=~anonymous),
            reg_walled=Count("id", filter=~anonymous & Q(paywall_hits__gt=0)),
        )
        .order_by()
    )
    for row in grouped:
        for kind, n, walled in (
            (MeterUsageStat.Kind.ANONYMOUS, row["anon"], row["anon_walled"]),
            (MeterUsageStat.Kind.REGISTERED, row["reg"], row["reg_walled"]),
        ):
            if n:
                yield {"period": row["period"], "kind": str(kind), "used": row["used"], "readers": n, "walled": walled}
