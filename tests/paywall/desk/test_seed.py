"""`manage.py seed_analytics`: a year of funnel aggregates and meter distribution for benchmarks, deterministic,
refusing to overwrite days that hold aggregates unless told, and shown by the desk."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from paywall.models import Experiment, FunnelDaily, MeterUsageStat
from paywall.services.analytics import funnel_report
from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def _seed(**options) -> str:
    out = StringIO()
    call_command("seed_analytics", no_progress=True, stdout=out, **options)
    return out.getvalue()


def test_seeding_fills_every_day_and_dimension_with_a_summary():
    ArticleFactory.create_batch(3)
    output = _seed(days=30, events_per_day=100_000)

    today = timezone.localdate()
    totals = FunnelDaily.objects.filter(dimension="total")
    assert totals.count() == 30 and totals.latest("day").day == today
    assert set(FunnelDaily.objects.values_list("dimension", flat=True).distinct()) == {"total", "article", "source",
                                                                                       "arm"}  # fmt: skip
    assert FunnelDaily.objects.filter(dimension="article").values("key").distinct().count() == 3
    readers = totals.aggregate(n=Sum("readers"))["n"]
    assert 30 * 100_000 * 0.2 < readers < 30 * 100_000 * 0.35  # about three events per reader
    # every source's readers add up to the day's
    day = totals.first().day
    by_source = FunnelDaily.objects.filter(dimension="source", day=day).aggregate(n=Sum("readers"))["n"]
    assert by_source == totals.get(day=day).readers
    assert MeterUsageStat.objects.filter(period=today).exists()
    # the experiment ran and is over: it changes nobody's meter
    experiment = Experiment.objects.get(slug="seed-monthly-meter")
    assert experiment.stop_at < timezone.now() and experiment.arms.count() == 2
    assert "Seeded 30 days" in output and f"readers {readers:,}" in output
    # the funnel's own report reads them
    assert funnel_report(start=day, end=today, group_by="day")["totals"]["readers"] == readers


def test_seeded_days_are_not_overwritten_unless_asked_and_the_same_seed_gives_the_same_figures():
    _seed(days=5, events_per_day=10_000, no_experiment=True)
    before = list(FunnelDaily.objects.order_by("day", "dimension", "key").values_list("day", "key", "readers", "paid"))
    with pytest.raises(CommandError, match="5 of these days already hold funnel aggregates"):
        _seed(days=5, events_per_day=10_000)
    _seed(days=5, events_per_day=10_000, no_experiment=True, replace=True)
    after = list(FunnelDaily.objects.order_by("day", "dimension", "key").values_list("day", "key", "readers", "paid"))
    assert after == before


def test_generated_subscribers_pay_and_are_not_created_twice():
    from paywall.desk.selectors import revenue_by_plan

    paying_before = revenue_by_plan(now=timezone.now()).paying
    output = _seed(days=1, events_per_day=10, subscribers=7)
    assert "paying subscribers: 7 created now" in output
    _seed(days=1, events_per_day=10, subscribers=7, replace=True)
    assert revenue_by_plan(now=timezone.now()).paying == paying_before + 7


@pytest.mark.parametrize(
    "options, message",
    [({"days": 0}, "--days"), ({"events_per_day": -1}, "--events-per-day"), ({"subscribers": -1}, "--subscribers")],
)
def test_bad_options_are_refused(options, message):
    with pytest.raises(CommandError, match=message):
        _seed(**options)
