"""Synthetic analytics for benchmarks and demos (`manage.py seed_analytics`): a year (or any number of days) of
the funnel's daily aggregates and the meter distribution, for a given traffic, written directly (no raw event).
Not a domain service: generated figures, deterministic for a given seed."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from articles.models import Article

from ..models import Experiment, ExperimentArm, FunnelDaily, MeterUsageStat, Plan, Subscription

SOURCES = (  # (key, share of readers, conversion lift)
    ("(direct)", 0.34, 1.3),
    ("google", 0.26, 0.9),
    ("newsletter", 0.10, 2.2),
    ("facebook", 0.09, 0.6),
    ("news.google.com", 0.07, 0.8),
    ("x.com", 0.05, 0.5),
    ("reddit.com", 0.04, 0.4),
    ("apple-news", 0.03, 0.7),
    ("news.ycombinator.com", 0.02, 0.6),
)
EXPERIMENT_SLUG = "seed-monthly-meter"
ARTICLES_PER_DAY = 150


@dataclass
class SeedSummary:
    days: int = 0
    funnel_rows: int = 0
    usage_rows: int = 0
    totals: dict = field(default_factory=dict)
    experiment: str = ""


def _day_counts(rng: random.Random, *, day: date, events_per_day: int) -> dict:
    """One day's funnel for `events_per_day` events: about three events per reader, weekends quieter, +-8% noise."""
    weekday = (1.0, 1.02, 1.0, 0.98, 0.95, 0.78, 0.84)[day.weekday()]
    events = events_per_day * weekday * rng.uniform(0.92, 1.08)
    readers = round(events * 0.30)
    shown = round(readers * 0.18)
    registered = round(shown * rng.uniform(0.025, 0.035))
    trials = round(shown * rng.uniform(0.005, 0.007))
    paid = round(trials * 0.4 + registered * 0.02)
    return {
        "readers": readers,
        "paywall_shown": shown,
        "registered": registered,
        "verified": round(registered * 0.8),
        "trials": trials,
        "paid": paid,
        "canceled": round(paid * 0.3),
        "expired": round(paid * 0.2),
        "counted_reads": round(events - shown - registered - trials - paid),
    }


def _split(counts: dict, weights: list[float]) -> list[dict]:
    """`counts` shared out by `weights` (whole numbers; the remainder goes to the first share)."""
    total = sum(weights)
    parts = [{k: int(v * w / total) for k, v in counts.items()} for w in weights]
    for k, v in counts.items():
        parts[0][k] += v - sum(p[k] for p in parts)
    return parts


def _lift(counts: dict, factor: float) -> dict:
    conversions = ("registered", "verified", "trials", "paid", "canceled", "expired")
    return {k: round(v * factor) if k in conversions else v for k, v in counts.items()}


def _experiment_ensure(*, start: date, stop: date) -> Experiment:
    """A finished experiment (stopped before today: it changes nobody's meter) with a control and a variant."""
    tz = timezone.get_current_timezone()
    experiment, _ = Experiment.objects.update_or_create(
        slug=EXPERIMENT_SLUG,
        defaults={
            "name": "Monthly meter of 6 vs daily 3 (seeded)",
            "hypothesis": "A monthly allowance converts more readers than a daily one.",
            "start_at": datetime.combine(start, time.min, tzinfo=tz),
            "stop_at": datetime.combine(stop, time.min, tzinfo=tz),
        },
    )
    for ordering, (name, control, window, anon) in enumerate((("control", True, "day", 3), ("monthly-6", False,
                                                                                           "month", 6))):  # fmt: skip
        ExperimentArm.objects.update_or_create(
            experiment=experiment,
            name=name,
            defaults={"is_control": control, "share": 50, "window": window, "anonymous_limit": anon,
                      "ordering": ordering},
        )  # fmt: skip
    return experiment


def _meter_rows(rng: random.Random, *, day: date, counts: dict) -> list[MeterUsageStat]:
    """The day's meter distribution: anonymous readers on an allowance of 3, registered ones on 5; those who used
    it all met the wall about half the time."""
    rows = []
    for kind, share, limit in (("anonymous", 0.85, 3), ("registered", 0.12, 5)):
        readers = counts["readers"] * share
        weights = [0.55 * 0.6**u for u in range(limit)]
        weights[-1] += 0.12
        total = sum(weights)
        for used, w in enumerate(weights, start=1):
            n = round(readers * w / total * rng.uniform(0.95, 1.05))
            walled = round(n * 0.5) if used == limit else 0
            rows.append(MeterUsageStat(period=day, kind=kind, used=used, readers=n, walled=walled))
    return rows


def analytics_seed(
    *,
    days: int,
    events_per_day: int,
    end: date,
    experiment: bool = True,
    seed: int = 16,
    progress: Callable[[int], object] | None = None,
) -> SeedSummary:
    """Write `days` days of aggregates ending on `end`: FunnelDaily rows (the total, about ARTICLES_PER_DAY articles,
    the sources, and the arms while the seeded experiment ran) and MeterUsageStat rows. The days' existing
    aggregates are replaced, a day per transaction. Articles are the published ones already in the database."""
    rng = random.Random(seed)
    start = end - timedelta(days=days - 1)
    published = Article.objects.filter(status=Article.Status.PUBLISHED).order_by("-published_at")
    pool = list(published.values_list("id", flat=True)[:2000])
    ran = (max(start, end - timedelta(days=120)), end - timedelta(days=14))
    arms = []
    if experiment and ran[0] < ran[1]:
        exp = _experiment_ensure(start=ran[0], stop=ran[1] + timedelta(days=1))
        arms = [(f"{exp.slug}/{a.name}", 1.0 if a.is_control else 1.18) for a in exp.arms.order_by("ordering")]
    summary = SeedSummary(experiment=EXPERIMENT_SLUG if arms else "")
    now, D = timezone.now(), FunnelDaily.Dimension
    for i in range(days):
        day = start + timedelta(days=i)
        counts = _day_counts(rng, day=day, events_per_day=events_per_day)
        rows = [FunnelDaily(day=day, dimension=D.TOTAL, key="", rolled_at=now, **counts)]
        for (key, _, lift), part in zip(SOURCES, _split(counts, [s for _, s, _ in SOURCES]), strict=True):
            rows.append(FunnelDaily(day=day, dimension=D.SOURCE, key=key, rolled_at=now, **_lift(part, lift)))
        if pool:
            picked = rng.sample(pool, min(ARTICLES_PER_DAY, len(pool)))
            shares = _split(counts, [1 / (rank + 1) for rank in range(len(picked))])
            rows += [FunnelDaily(day=day, dimension=D.ARTICLE, key=str(a), rolled_at=now, **part)
                     for a, part in zip(picked, shares, strict=True)]  # fmt: skip
        if arms and ran[0] <= day <= ran[1]:
            parts = _split(counts, [1.0] * len(arms))
            rows += [FunnelDaily(day=day, dimension=D.ARM, key=key, rolled_at=now, **_lift(part, lift))
                     for (key, lift), part in zip(arms, parts, strict=True)]  # fmt: skip
        usage = _meter_rows(rng, day=day, counts=counts)
        with transaction.atomic():
            FunnelDaily.objects.filter(day=day).delete()
            MeterUsageStat.objects.filter(period=day).delete()
            FunnelDaily.objects.bulk_create(rows, batch_size=2000)
            MeterUsageStat.objects.bulk_create(usage)
        summary.days += 1
        summary.funnel_rows += len(rows)
        summary.usage_rows += len(usage)
        for k, v in counts.items():
            summary.totals[k] = summary.totals.get(k, 0) + v
        if progress:
            progress(1)
    return summary


def analytics_seeded_days(*, start: date, end: date) -> int:
    """How many days of `start`..`end` already hold funnel aggregates."""
    return FunnelDaily.objects.filter(day__gte=start, day__lte=end, dimension=FunnelDaily.Dimension.TOTAL).count()


SUBSCRIBER_DOMAIN = "seed.invalid"


def analytics_subscribers_seed(*, count: int, now: datetime | None = None, batch: int = 5000) -> int:
    """Make sure `count` generated paying subscribers exist (accounts `seed-<n>@seed.invalid`, unusable passwords,
    an active subscription each on the active plans in turn, paid periods ending within a plan interval), so the
    revenue by plan is read at a realistic size. Idempotent: only the missing ones are created. Returns how many."""
    now = now or timezone.now()
    User = get_user_model()
    plans = list(Plan.objects.filter(active=True).order_by("ordering", "amount"))
    have = User.objects.filter(email__endswith=f"@{SUBSCRIBER_DOMAIN}").count()
    if not plans or have >= count:
        return 0
    password = make_password(None)
    created = 0
    for first in range(have, count, batch):
        numbers = range(first, min(first + batch, count))
        with transaction.atomic():
            users = User.objects.bulk_create(
                [User(email=f"seed-{n}@{SUBSCRIBER_DOMAIN}", password=password, email_verified_at=now)
                 for n in numbers]
            )  # fmt: skip
            Subscription.objects.bulk_create(
                [
                    Subscription(user=user, plan=plans[n % len(plans)], status=Subscription.Status.ACTIVE,
                                 provider="seed", current_period_start=now - timedelta(days=n % 7),
                                 current_period_end=now + timedelta(days=1 + n % 6))
                    for n, user in zip(numbers, users, strict=True)
                ]
            )  # fmt: skip
        created += len(users)
    return created
