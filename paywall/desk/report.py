"""Everything the revenue desk shows for a date range, composed from the funnel's analytics services (the funnel
and the experiments are computed there, never here), the meter distribution and the revenue by plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q

from articles.models import Article

from ..models import Experiment
from ..services.analytics import experiment_report, funnel_report
from .selectors import MeterDistribution, Revenue, meter_distribution, revenue_by_plan

TOP_ARTICLES = 10
TOP_SOURCES = 15
MAX_EXPERIMENTS = 10
# (step, label, its rate over the step before, its rate over readers): the names of funnel_report's `rates`
STEPS = (
    ("readers", "Readers", None, None),
    ("paywall_shown", "Paywall shown", "paywall_shown_of_readers", "paywall_shown_of_readers"),
    ("registered", "Registered", "registered_of_paywall_shown", "registered_of_readers"),
    ("trials", "Trial", "trials_of_registered", "trials_of_readers"),
    ("paid", "Paid", "paid_of_trials", "paid_of_readers"),
)
ARM_METRICS = (("paywall_shown", "paywall_shown_of_readers"), ("registered", "registered_of_readers"),
               ("paid", "paid_of_readers"))  # fmt: skip


@dataclass
class DeskReport:
    start: date
    end: date
    steps: list[dict]  # the funnel's totals: name, label, count, of_previous, of_readers
    days: list[dict]  # one per day of the range: day and the five steps
    top_articles: list[dict]  # funnel rows by article with their `article` (id, title, slug) when it still exists
    sources: list[dict]  # funnel rows by source
    experiments: list[tuple[Experiment, dict]]  # each with {method, arms: [...]} (see `_arms`)
    meter: MeterDistribution
    revenue: Revenue


def _by_conversions(row: dict) -> tuple:
    return (-row["paid"], -row["trials"], -row["registered"], -row["readers"], str(row["key"]))


def _steps(totals: dict) -> list[dict]:
    rates = totals["rates"]
    return [
        {"name": name, "label": label, "count": totals[name], "of_previous": rates.get(previous) if previous else None,
         "of_readers": rates.get(of_readers) if of_readers else None}
        for name, label, previous, of_readers in STEPS
    ]  # fmt: skip


def _top_articles(*, start: date, end: date) -> list[dict]:
    """The articles that led to the most conversions (paid, then trials, then registrations), last touch."""
    rows = funnel_report(start=start, end=end, group_by="article")["rows"]
    rows = sorted((r for r in rows if r["registered"] or r["trials"] or r["paid"]), key=_by_conversions)
    rows = rows[:TOP_ARTICLES]
    found = Article.objects.filter(slug__in=[r["key"] for r in rows]).values("id", "title", "slug")
    articles = {a["slug"]: a for a in found}
    return [{**r, "article": articles.get(r["key"])} for r in rows]


def _arms(report: dict) -> list[dict]:
    """An experiment report's arms as the desk's table shows them: per metric the rate over the arm's readers, its
    95% interval and the probability to beat the control."""
    arms = []
    for arm in report["arms"]:
        metrics = []
        for step, rate in ARM_METRICS:
            low, high = arm["intervals"][step] or (None, None)
            beats = arm["probability_to_beat_control"][step]
            metrics.append({"step": step, "rate": arm["rates"][rate], "low": low, "high": high, "beats": beats})
        arms.append({"name": arm["arm"], "is_control": arm["is_control"], "share": arm["share"],
                     "readers": arm["readers"], "metrics": metrics})  # fmt: skip
    return arms


def _experiments(*, start: date, end: date) -> list[tuple[Experiment, dict]]:
    """The experiments that ran at some point of the range, the latest first, each with its figures for the range."""
    ran = (
        Experiment.objects.filter(start_at__isnull=False, start_at__date__lte=end)
        .filter(Q(stop_at__isnull=True) | Q(stop_at__date__gte=start))
        .order_by("-start_at", "-id")[:MAX_EXPERIMENTS]
    )
    out = []
    for experiment in ran:
        report = experiment_report(experiment=experiment, start=start, end=end)
        out.append((experiment, {"method": report["method"], "control": report["control"], "arms": _arms(report)}))
    return out


def desk_report(*, start: date, end: date, now: datetime, today: date) -> DeskReport:
    """The revenue desk for `start`..`end` (inclusive, local days); `today` bounds the live part of the meter
    distribution. A fixed number of queries whatever the range: three funnel reports, one title lookup, two per
    experiment (at most MAX_EXPERIMENTS), two for the meter, two for the revenue."""
    funnel = funnel_report(start=start, end=end, group_by="day")
    days = [{"day": date.fromisoformat(r["key"]), **{s[0]: r[s[0]] for s in STEPS}} for r in funnel["rows"]]
    sources = sorted(funnel_report(start=start, end=end, group_by="source")["rows"], key=_by_conversions)
    return DeskReport(
        start=start,
        end=end,
        steps=_steps(funnel["totals"]),
        days=days,
        top_articles=_top_articles(start=start, end=end),
        sources=sources[:TOP_SOURCES],
        experiments=_experiments(start=start, end=end),
        meter=meter_distribution(start=start, end=end, today=today),
        revenue=revenue_by_plan(now=now),
    )
