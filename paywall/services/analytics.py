"""The revenue desk's figures, read from the daily aggregates only (FunnelDaily), so a year answers as fast as a
day: `funnel_report` (the funnel by day, article, arm or source) and `experiment_report` (the arms of an
experiment side by side, with 95% intervals and the probability to beat the control). `report_table` flattens
either into the rows of a CSV.

What the counts mean (see docs/revenue-desk.md): within a day each step counts persons (an anonymous reader who
registered counts once, as their account). Over a range of days, `readers` and `paywall_shown` add up the days: a
person who came back on three days is three reader-days; `registered`, `trials` and `paid` happen once per person,
so over any range they count persons. Today's figures are those of the last rollup (at most five minutes old).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Sum
from django.utils import timezone

from articles.models import Article
from cms.core.exceptions import NotFound

from ..models import Experiment, ExperimentArm, FunnelDaily
from .stats import probability_to_beat, rate, wilson_interval

STEPS = ("readers", "paywall_shown", "registered", "trials", "paid")
GROUP_BY = {
    "day": FunnelDaily.Dimension.TOTAL,
    "article": FunnelDaily.Dimension.ARTICLE,
    "arm": FunnelDaily.Dimension.ARM,
    "source": FunnelDaily.Dimension.SOURCE,
}
RATE_NAMES = (
    "paywall_shown_of_readers",
    "registered_of_readers",
    "trials_of_readers",
    "paid_of_readers",
    "registered_of_paywall_shown",
    "trials_of_registered",
    "paid_of_trials",
)
INTERVAL_STEPS = ("paywall_shown", "registered", "paid")
METHOD = (
    "95% intervals: Wilson score. Probability to beat the control: Beta-Binomial posterior with uniform Beta(1, 1) "
    "priors, P(arm rate > control rate), exact closed form (normal approximation of the posteriors above 5,000 "
    "conversions and 5,000 non-conversions per arm)."
)


def _capped(value: float | None) -> float | None:
    return None if value is None else min(value, 1.0)


def funnel_rates(counts: dict) -> dict:
    """Each step over `readers`, and each over the step before, as fractions from 0 to 1 (None when dividing by 0).
    A step over the one before is capped at 1: readers may skip a step (paying without a trial)."""
    readers = counts["readers"]
    return {
        "paywall_shown_of_readers": _capped(rate(counts["paywall_shown"], readers)),
        "registered_of_readers": _capped(rate(counts["registered"], readers)),
        "trials_of_readers": _capped(rate(counts["trials"], readers)),
        "paid_of_readers": _capped(rate(counts["paid"], readers)),
        "registered_of_paywall_shown": _capped(rate(counts["registered"], counts["paywall_shown"])),
        "trials_of_registered": _capped(rate(counts["trials"], counts["registered"])),
        "paid_of_trials": _capped(rate(counts["paid"], counts["trials"])),
    }


def _row(key: str, counts: dict) -> dict:
    counts = {step: counts.get(step) or 0 for step in STEPS}
    return {"key": key, **counts, "rates": funnel_rates(counts)}


def _sums(qs) -> dict:
    return qs.aggregate(**{step: Sum(step) for step in STEPS})


def _article_slugs(keys: list[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    slugs = Article.objects.filter(pk__in=ids).values_list("pk", "slug")
    return {str(pk): slug for pk, slug in slugs}


def funnel_report(*, start: date, end: date, group_by: str) -> dict:
    """`{from, to, group_by, totals, rows: [{key, readers, paywall_shown, registered, trials, paid, rates}]}` for
    the local days `start`..`end` (inclusive). Rows: one per day (`day`, every day of the range, oldest first), per
    article (key: its slug), per experiment arm (key: `<slug>/<arm>`) or per source (utm_source, else the referrer
    host, else `(direct)`); the last three by paid conversions, then readers. Three queries whatever the range."""
    dimension = GROUP_BY[group_by]
    in_range = FunnelDaily.objects.filter(day__gte=start, day__lte=end)
    totals = _row("total", _sums(in_range.filter(dimension=FunnelDaily.Dimension.TOTAL)))
    grouped = (
        in_range.filter(dimension=dimension)
        .values("day" if group_by == "day" else "key")
        .annotate(**{step: Sum(step) for step in STEPS})
        .order_by()
    )
    if group_by == "day":
        by_day = {g.pop("day"): g for g in grouped}
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        rows = [_row(d.isoformat(), by_day.get(d, {})) for d in days]
    else:
        grouped = list(grouped)
        labels = _article_slugs([g["key"] for g in grouped]) if group_by == "article" else {}
        rows = [_row(labels.get(g["key"], g["key"]), g) for g in grouped]
        rows.sort(key=lambda r: (-r["paid"], -r["readers"], r["key"]))
    return {"from": start, "to": end, "group_by": group_by, "totals": totals, "rows": rows}


def _experiment_range(experiment: Experiment, start: date | None, end: date | None) -> tuple[date, date]:
    today = timezone.localdate()
    if start is None:
        start = timezone.localdate(experiment.start_at) if experiment.start_at else today
    if end is None:
        end = min(timezone.localdate(experiment.stop_at), today) if experiment.stop_at else today
    return start, max(start, end)


def _arm_figures(arm: ExperimentArm, counts: dict, control: dict | None) -> dict:
    row = _row(arm.name, counts)
    readers = row["readers"]
    row.update(
        {
            "arm": arm.name,
            "is_control": arm.is_control,
            "share": arm.share,
            "intervals": {step: wilson_interval(row[step], readers) for step in INTERVAL_STEPS},
            "probability_to_beat_control": {
                step: None
                if control is None or arm.is_control
                else probability_to_beat(
                    successes_a=control[step], trials_a=control["readers"], successes_b=row[step], trials_b=readers
                )
                for step in INTERVAL_STEPS
            },
        }
    )
    return row


def experiment_report(*, experiment: Experiment | str, start: date | None = None, end: date | None = None) -> dict:
    """The arms of `experiment` (an Experiment or its slug) side by side over `start`..`end` (default: from its
    start to its stop or today): each arm's funnel counts and rates, the 95% Wilson interval of its paywall,
    registration and paid rates (over its readers), and the probability that it beats the control on each
    (Beta-Binomial posterior; None for the control itself or without a control)."""
    if isinstance(experiment, str):
        slug, experiment = experiment, Experiment.objects.filter(slug=experiment).first()
        if experiment is None:
            raise NotFound(f"No experiment {slug!r}.", field="slug")
    start, end = _experiment_range(experiment, start, end)
    arms = list(experiment.arms.all())
    keys = {f"{experiment.slug}/{arm.name}": arm for arm in arms}
    grouped = (
        FunnelDaily.objects.filter(
            dimension=FunnelDaily.Dimension.ARM, key__in=list(keys), day__gte=start, day__lte=end
        )
        .values("key")
        .annotate(**{step: Sum(step) for step in STEPS})
        .order_by()
    )
    counts = {g["key"]: {step: g[step] or 0 for step in STEPS} for g in grouped}
    empty = dict.fromkeys(STEPS, 0)
    control_arm = next((arm for arm in arms if arm.is_control), None)
    control = counts.get(f"{experiment.slug}/{control_arm.name}", empty) if control_arm else None
    return {
        "experiment": experiment.slug,
        "name": experiment.name,
        "from": start,
        "to": end,
        "control": control_arm.name if control_arm else None,
        "method": METHOD,
        "arms": [_arm_figures(arm, counts.get(key, empty), control) for key, arm in keys.items()],
    }


def report_table(report: dict) -> tuple[list[str], list[list]]:
    """(header, rows) of a report as a flat table, for CSV: a funnel report's rows (and a `total` row), or an
    experiment's arms with their intervals and probabilities."""
    if "arms" in report:
        header = ["arm", "is_control", "share", *STEPS, *RATE_NAMES]
        header += [f"{step}_ci_{end}" for step in INTERVAL_STEPS for end in ("low", "high")]
        header += [f"{step}_probability_to_beat_control" for step in INTERVAL_STEPS]
        rows = []
        for arm in report["arms"]:
            line = [arm["arm"], arm["is_control"], arm["share"], *(arm[s] for s in STEPS)]
            line += [arm["rates"][name] for name in RATE_NAMES]
            for step in INTERVAL_STEPS:
                line += list(arm["intervals"][step] or (None, None))
            line += [arm["probability_to_beat_control"][step] for step in INTERVAL_STEPS]
            rows.append(line)
        return header, rows
    header = ["key", *STEPS, *RATE_NAMES]
    rows = [[r["key"], *(r[s] for s in STEPS), *(r["rates"][n] for n in RATE_NAMES)] for r in report["rows"]]
    totals = report["totals"]
    rows.append(["total", *(totals[s] for s in STEPS), *(totals["rates"][n] for n in RATE_NAMES)])
    return header, rows
