"""Data for the revenue desk's tests: funnel aggregates written as the rollup writes them, an experiment."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from paywall.models import Experiment, ExperimentArm, FunnelDaily
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory


def funnel_day(day: date, dimension: str = "total", key: str = "", **counts) -> FunnelDaily:
    return FunnelDaily.objects.create(day=day, dimension=dimension, key=key, rolled_at=timezone.now(), **counts)


@pytest.fixture
def analyst(db):
    """Staff holding paywall.view_analytics, nothing else."""
    user = UserFactory(email="analyst@example.com", is_staff=True, email_verified_at=timezone.now())
    user.user_permissions.add(Permission.objects.get(content_type__app_label="paywall", codename="view_analytics"))
    return user


@pytest.fixture
def desk_day(db) -> date:
    """A past day of known figures (the total, two articles, two sources, an experiment's two arms)."""
    day = timezone.localdate() - timedelta(days=3)
    lead, other = ArticleFactory(title="The harbour deal, explained"), ArticleFactory(title="Council votes")
    funnel_day(day, readers=1000, paywall_shown=200, registered=40, verified=30, trials=10, paid=5, counted_reads=2500)
    funnel_day(day, "article", str(lead.pk), readers=300, paywall_shown=120, registered=30, trials=8, paid=4)
    funnel_day(day, "article", str(other.pk), readers=250, paywall_shown=80, registered=10, trials=2, paid=1)
    funnel_day(day, "source", "newsletter", readers=100, paywall_shown=30, registered=12, trials=5, paid=3)
    funnel_day(day, "source", "google", readers=900, paywall_shown=170, registered=28, trials=5, paid=2)
    tz = timezone.get_current_timezone()
    experiment = Experiment.objects.create(
        slug="monthly-meter", name="Monthly meter", hypothesis="A monthly meter converts more.",
        start_at=datetime.combine(day - timedelta(days=1), time.min, tzinfo=tz),
    )  # fmt: skip
    ExperimentArm.objects.create(experiment=experiment, name="control", is_control=True, share=50, ordering=0)
    ExperimentArm.objects.create(experiment=experiment, name="monthly-6", share=50, window="month",
                                 anonymous_limit=6, ordering=1)  # fmt: skip
    funnel_day(day, "arm", "monthly-meter/control", readers=500, paywall_shown=120, registered=15, trials=4, paid=2)
    funnel_day(day, "arm", "monthly-meter/monthly-6", readers=500, paywall_shown=80, registered=25, trials=6, paid=3)
    return day
