"""Meter policies as data: which rules apply to a reader now (the default policy, or the arm of the running experiment
that the reader falls in), the allowance windows in the publisher's time zone, and the staff's operations on
policies and experiments (checks, "Stop now"). `_decide` reads what `reader_policy` returns; nothing else decides.

A reader's arm is a pure function of the experiment and the reader id (`u:<user id>` or `a:<anonymous id>`): the
first 8 bytes of SHA-256 of "<experiment slug>:<reader id>" taken modulo 10,000 give a point in [0, 100) percent,
and the arms take consecutive shares of it in their order; past the last arm a reader gets the default policy. An
account may have an `ExperimentAssignment` instead (written when an anonymous reader registers: the account keeps
the arm, or the absence of one, that it had before registering).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import Experiment, ExperimentAssignment, MeterPolicy, MeterWindow
from ..selectors import (
    ArmPlan,
    ExperimentPlan,
    PolicyBook,
    Rules,
    experiment_assignment_arm,
    meter_limits_forget,
    policy_book,
    rules_limits,
)

ROLLING_DAYS_DEFAULT = MeterPolicy._meta.get_field("rolling_days").default
_LONGEST = {MeterWindow.DAY: 1, MeterWindow.WEEK: 7, MeterWindow.MONTH: 31}


# --- windows ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The allowance window containing a moment: its first local day, the local day a read is stored under, and
    when it ends (for a rolling window: when it next moves, the next local midnight; see `resets_at_for`)."""

    kind: str
    first_day: date
    day: date
    ends_at: datetime

    @property
    def rolling(self) -> bool:
        return self.kind == MeterWindow.ROLLING

    def resets_at_for(self, oldest: date | None) -> datetime:
        """When allowance comes back: the window's end; for a rolling window, the moment the oldest counted read
        (`oldest`, its local day) leaves it."""
        if not self.rolling or oldest is None:
            return self.ends_at
        return _local_midnight(oldest + timedelta(days=(self.day - self.first_day).days + 1))


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))


def window_for(*, rules: Rules, now: datetime) -> Window:
    """The window of `rules` containing `now`, in the publisher's zone (settings.TIME_ZONE): a day (until local
    midnight), a week (Monday 00:00 to Monday 00:00), a calendar month, or the last `rolling_days` days."""
    day = now.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    if rules.window == MeterWindow.WEEK:
        first = day - timedelta(days=day.weekday())
        return Window(rules.window, first, day, _local_midnight(first + timedelta(days=7)))
    if rules.window == MeterWindow.MONTH:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Window(rules.window, first, day, _local_midnight(following))
    if rules.window == MeterWindow.ROLLING:
        first = day - timedelta(days=max(rules.rolling_days, 1) - 1)
        return Window(rules.window, first, day, _local_midnight(day + timedelta(days=1)))
    return Window(MeterWindow.DAY, day, day, _local_midnight(day + timedelta(days=1)))


def window_days(rules: Rules) -> int:
    """The most local days a window of `rules` spans."""
    return rules.rolling_days if rules.window == MeterWindow.ROLLING else _LONGEST.get(rules.window, 1)


def meter_window_days_longest(*, book: PolicyBook | None = None) -> int:
    """The longest window in use (the default policy's, or an arm of an experiment that has not stopped): raw meter
    rows are kept at least that long."""
    book = book or policy_book()
    rules = [book.default, *(arm.rules for e in book.experiments for arm in e.arms)]
    return max(window_days(r) for r in rules)


# --- arms ------------------------------------------------------------------------------------------------------


def _point(slug: str, reader_id: str) -> int:
    digest = hashlib.sha256(f"{slug}:{reader_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000


def arm_by_hash(*, experiment: ExperimentPlan, reader_id: str) -> ArmPlan | None:
    """The arm `reader_id` falls in by the stable hash, or None (outside the experiment's traffic)."""
    point, edge = _point(experiment.slug, reader_id), 0
    for arm in experiment.arms:
        edge += arm.share * 100
        if point < edge:
            return arm
    return None


def _arm_for(experiment: ExperimentPlan, reader_key: str) -> ArmPlan | None:
    if reader_key.startswith("u:"):
        stored, arm_id = experiment_assignment_arm(experiment_id=experiment.id, reader_key=reader_key)
        if stored:
            return next((arm for arm in experiment.arms if arm.id == arm_id), None)
    return arm_by_hash(experiment=experiment, reader_id=reader_key)


def experiment_arm_for(*, reader_key: str, now: datetime | None = None) -> tuple[str, str] | None:
    """(experiment slug, arm name) of the running experiment for this reader, or None (no experiment running, or
    the reader is outside its traffic). `reader_key`: `u:<user id>` or `a:<anonymous id>`."""
    experiment = policy_book().experiment_at(now or timezone.now())
    arm = _arm_for(experiment, reader_key) if experiment is not None else None
    return None if arm is None else (experiment.slug, arm.name)


@dataclass(frozen=True)
class ReaderPolicy:
    """The policy that applies to one reader now: its rules, allowances (anonymous, registered), the experiment arm
    that decided (`{"experiment", "arm"}` or None) and the section rules."""

    rules: Rules
    limits: tuple[int, int]
    tag: dict | None
    sections: dict


def reader_policy(*, reader_key: str | None, now: datetime, book: PolicyBook | None = None) -> ReaderPolicy:
    """The default policy, or the running experiment's arm for `reader_key` (None: the default policy, no
    experiment lookup: for readers the meter does not limit)."""
    book = book or policy_book()
    experiment = book.experiment_at(now) if reader_key else None
    arm = _arm_for(experiment, reader_key) if experiment is not None else None
    if arm is None:
        return ReaderPolicy(book.default, rules_limits(book.default), None, book.sections)
    tag = {"experiment": experiment.slug, "arm": arm.name}
    return ReaderPolicy(arm.rules, rules_limits(arm.rules, book.default), tag, book.sections)


def experiment_arm_carry(*, anon_id: str, user, now: datetime | None = None) -> None:
    """On registration: the new account keeps the anonymous reader's arm of the running experiment (or its being
    outside the traffic), stored as an ExperimentAssignment. An existing assignment is left alone (idempotent)."""
    experiment = policy_book().experiment_at(now or timezone.now())
    if experiment is None:
        return
    arm = arm_by_hash(experiment=experiment, reader_id=f"a:{anon_id}")
    ExperimentAssignment.objects.bulk_create(
        [ExperimentAssignment(experiment_id=experiment.id, arm_id=arm.id if arm else None, reader_key=f"u:{user.pk}")],
        ignore_conflicts=True,
    )


# --- staff operations ------------------------------------------------------------------------------------------


def rules_check(*, window: str, rolling_days: int | None) -> dict[str, str]:
    """Errors by field of one set of policy values: rolling days only for a rolling window."""
    if window != MeterWindow.ROLLING and rolling_days not in (None, ROLLING_DAYS_DEFAULT):
        return {
            "rolling_days": f"Rolling days apply only to the rolling window: choose it, or leave "
            f"{ROLLING_DAYS_DEFAULT}."
        }
    return {}


def experiment_check(
    *, experiment_id: int | None, start_at: datetime | None, stop_at: datetime | None, arms: list[dict]
) -> None:
    """Raise ValidationError (by field; arm errors under "arms") unless: two or more arms, shares adding up to at
    most 100, exactly one control arm, stop after start, and no other experiment running at any moment of this
    one's run. `arms`: [{"name", "share", "is_control"}] (the arms kept)."""
    errors: dict[str, list[str]] = {}
    if len(arms) < 2:
        errors.setdefault("arms", []).append("An experiment needs two or more arms.")
    total = sum(arm["share"] or 0 for arm in arms)
    if total > 100:
        errors.setdefault("arms", []).append(f"The arms' shares add up to {total}%: at most 100%.")
    controls = sum(1 for arm in arms if arm["is_control"])
    if controls != 1:
        errors.setdefault("arms", []).append(f"Exactly one arm must be the control ({controls} marked).")
    if start_at and stop_at and stop_at <= start_at:
        errors["stop_at"] = ["The stop must come after the start."]
    if start_at and "stop_at" not in errors:
        overlapping = _experiments_overlapping(experiment_id=experiment_id, start_at=start_at, stop_at=stop_at)
        if overlapping:
            errors["start_at"] = [
                f'"{overlapping.name}" runs during this time: at most one experiment may run at any moment.'
            ]
    if errors:
        raise ValidationError(errors)


def _experiments_overlapping(*, experiment_id, start_at: datetime, stop_at: datetime | None) -> Experiment | None:
    others = Experiment.objects.filter(start_at__isnull=False).exclude(pk=experiment_id)
    if stop_at is not None:
        others = others.filter(start_at__lt=stop_at)
    others = others.exclude(stop_at__isnull=False, stop_at__lte=start_at)
    return others.order_by("start_at").first()


def experiment_stop(*, experiment: Experiment, now: datetime | None = None) -> bool:
    """Stop a running or scheduled experiment now: everyone gets the default policy from the next request; its
    assignments (the results) stay. Does nothing for an experiment already stopped. True if it stopped it."""
    now = now or timezone.now()
    with transaction.atomic():
        stopped = Experiment.objects.filter(pk=experiment.pk).exclude(stop_at__lte=now).update(stop_at=now)
        meter_limits_forget()  # an update sends no signal: now and at commit (generation_forget)
    experiment.refresh_from_db(fields=["stop_at"])
    return bool(stopped)
