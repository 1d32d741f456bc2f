"""The revenue desk's own reads: paying subscribers and MRR by plan, and the meter distribution (stored close plus
live rows), each in a constant number of queries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from paywall.desk.selectors import meter_distribution, monthly_amount, revenue_by_plan
from paywall.desk.usage import meter_usage_close
from paywall.models import MeterPeriod, MeterUsageStat, Plan, Subscription
from tests.paywall.factories import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def test_a_price_is_normalised_to_a_month():
    assert monthly_amount(amount=100, interval="month") == 100
    assert monthly_amount(amount=1200, interval="year") == 100
    assert monthly_amount(amount=300, interval="week") == Decimal(1300)  # 300 x 52 / 12


def test_paying_subscribers_and_mrr_by_plan(django_assert_max_num_queries):
    # given a weekly, a monthly and a yearly plan of the same currency, and one of another currency
    now = timezone.now()
    Plan.objects.all().delete()
    weekly = PlanFactory(code="w", name="W", amount=300, interval="week", ordering=1)
    monthly = PlanFactory(code="m", name="M", amount=999, interval="month", ordering=2)
    yearly = PlanFactory(code="y", name="Y", amount=10000, interval="year", ordering=3)
    euro = PlanFactory(code="e", name="E", amount=500, currency="eur", interval="month", ordering=4)
    later, earlier = now + timedelta(days=3), now - timedelta(hours=1)
    for plan, n in ((weekly, 2), (monthly, 3), (yearly, 1), (euro, 1)):
        SubscriptionFactory.create_batch(n, plan=plan, status="active", current_period_end=later)
    # ... and subscriptions that are not paying
    SubscriptionFactory(plan=monthly, status="active", is_comp=True, current_period_end=later)  # a gift
    SubscriptionFactory(plan=monthly, status="active", current_period_end=earlier)  # ended, not swept yet
    SubscriptionFactory(plan=monthly, status="past_due", current_period_end=earlier, past_due_since=earlier)
    SubscriptionFactory(plan=None, status="trialing", is_trial=True, trial_end=later)
    SubscriptionFactory(plan=yearly, status="canceled", current_period_end=later)

    # when the desk reads the revenue
    with django_assert_max_num_queries(2):
        revenue = revenue_by_plan(now=now)

    # then
    rows = {r.code: (r.paying, r.past_due, r.mrr) for r in revenue.plans}
    assert rows == {
        "w": (2, 0, 2600),  # 2 x 300 x 52 / 12
        "m": (3, 1, 2997),
        "y": (1, 0, 833),  # 10000 / 12 = 833.33, rounded
        "e": (1, 0, 500),
    }
    assert revenue.paying == 7 and revenue.past_due == 1
    assert revenue.mrr_by_currency == {"usd": 2600 + 2997 + 833, "eur": 500}
    assert (revenue.comp, revenue.trialing) == (1, 1)
    assert Subscription.objects.count() == 12


def _period(key: str, day: date, used: int, hits: int = 0) -> MeterPeriod:
    return MeterPeriod.objects.create(reader_key=key, period=day, used=used, paywall_hits=hits)


def test_the_nightly_close_stores_the_distribution_and_is_idempotent(settings):
    settings.TIME_ZONE = "UTC"
    today = timezone.now().date()
    yesterday = today - timedelta(days=1)
    _period("a:1", yesterday, 3, hits=2)
    _period("a:2", yesterday, 3)
    _period("a:3", yesterday, 1)
    _period("u:1", yesterday, 5, hits=1)
    _period("a:4", today, 2)  # today's period is still open: not closed
    _period("a:1#s7", yesterday, 2)  # a section's own allowance, counted apart: not the main allowance
    first = meter_usage_close()
    second = meter_usage_close()

    assert first == second == {"usage_periods": 1, "usage_rows": 3}
    stored = set(MeterUsageStat.objects.values_list("period", "kind", "used", "readers", "walled"))
    assert stored == {
        (yesterday, "anonymous", 3, 2, 1),
        (yesterday, "anonymous", 1, 1, 0),
        (yesterday, "registered", 5, 1, 1),
    }
    # a purged period keeps its figures
    MeterPeriod.objects.filter(period=yesterday).delete()
    meter_usage_close()
    assert MeterUsageStat.objects.filter(period=yesterday).count() == 3


def test_the_distribution_adds_the_live_periods_to_the_closed_ones(django_assert_max_num_queries):
    today = date(2026, 11, 30)
    for used, readers, walled in ((1, 10, 0), (3, 4, 3)):
        MeterUsageStat.objects.create(period=date(2026, 11, 28), kind="anonymous", used=used, readers=readers,
                                      walled=walled)  # fmt: skip
    MeterUsageStat.objects.create(period=date(2026, 10, 1), kind="anonymous", used=2, readers=99)  # out of range
    _period("a:x", today, 3, hits=1)
    _period("a:y", today, 0)
    _period("u:z", today, 2)
    _period("a:old", date(2026, 11, 28), 3)  # a closed period's raw row is not counted twice

    with django_assert_max_num_queries(2):
        dist = meter_distribution(start=date(2026, 11, 1), end=today, today=today)

    anonymous = [(b.used, b.readers, b.walled) for b in dist.kinds["anonymous"]]
    assert anonymous == [(0, 1, 0), (1, 10, 0), (2, 0, 0), (3, 5, 4)]
    assert [(b.used, b.readers) for b in dist.kinds["registered"]] == [(0, 0), (1, 0), (2, 1)]
    assert dist.readers == {"anonymous": 16, "registered": 1}
    assert dist.walled == {"anonymous": 4, "registered": 0}
    assert dist.widest == 10


def test_a_range_in_the_past_reads_only_the_close(django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        dist = meter_distribution(start=date(2026, 1, 1), end=date(2026, 1, 31), today=date(2026, 11, 30))
    assert dist.kinds == {"anonymous": [], "registered": []} and dist.widest == 0
