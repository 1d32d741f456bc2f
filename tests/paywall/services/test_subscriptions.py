"""Every subscription state transition, its guards, its history row, and that access follows the state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from cms.core.exceptions import Conflict, NotFound, PermissionDenied
from cms.core.models import OutboundEmail
from paywall import services
from paywall.models import Plan, Subscription, SubscriptionEvent
from paywall.readers import Reader
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db

S = Subscription.Status


@pytest.fixture
def weekly():
    return Plan.objects.get(code="weekly")


@pytest.fixture
def premium():
    return ArticleFactory(access_level=Article.AccessLevel.PREMIUM)


def history(sub) -> list[tuple[str, str, str]]:
    return [(e.from_status, e.to_status, e.source) for e in SubscriptionEvent.objects.filter(subscription=sub)]


def granted(user, article, now=None) -> bool:
    return services.access_decide(reader=Reader(user=user), article=article, now=now).granted


# --- trial ------------------------------------------------------------------------------------------------------


def test_trial_start_gives_fourteen_days_and_a_history_row(reader, premium):
    now = timezone.now()
    sub = services.subscription_trial_start(user=reader, now=now)
    assert sub.status == S.TRIALING and sub.is_trial
    assert sub.trial_end == now + timedelta(days=14) == sub.current_period_end
    assert history(sub) == [("", "trialing", "reader")]
    decision = services.access_decide(reader=Reader(user=reader), article=premium)
    assert decision.granted and decision.reason == "trial" and decision.reader_kind == "trial"
    assert not services.trial_available(user=reader)


def test_second_trial_is_refused_even_after_the_first_ended(reader):
    sub = services.subscription_trial_start(user=reader)
    services.subscription_expire(subscription=sub, source="test")
    with pytest.raises(Conflict) as exc:
        services.subscription_trial_start(user=reader)
    assert exc.value.status_code == 409 and exc.value.code == "trial_used"
    assert exc.value.message == "You have already used your free trial."
    assert Subscription.objects.filter(user=reader).count() == 1


def test_trial_needs_a_verified_email(unverified_reader):
    with pytest.raises(PermissionDenied) as exc:
        services.subscription_trial_start(user=unverified_reader)
    assert exc.value.code == "email_unverified" and exc.value.field == "email"
    assert not Subscription.objects.exists()


def test_trial_refused_while_paying(subscriber):
    with pytest.raises(Conflict) as exc:
        services.subscription_trial_start(user=subscriber)
    assert exc.value.code == "already_subscribed"


def test_trial_database_constraint_is_mapped_to_409(reader, monkeypatch):
    # given a trial row that the pre-check does not see (a concurrent request won the race)
    Subscription.objects.create(user=reader, status=S.EXPIRED, is_trial=True)
    monkeypatch.setattr(
        "paywall.services.trials.Subscription.objects.filter", _no_rows_filter(Subscription.objects.filter)
    )
    with pytest.raises(Conflict) as exc:
        services.subscription_trial_start(user=reader)
    assert exc.value.code == "trial_used"


def _no_rows_filter(original):
    state = {"calls": 0}

    def filter_(*args, **kwargs):
        state["calls"] += 1
        qs = original(*args, **kwargs)
        return qs.none() if state["calls"] <= 2 else qs

    return filter_


# --- activation and renewal -------------------------------------------------------------------------------------


def test_activate_converts_a_running_trial(reader, weekly, premium):
    trial = services.subscription_trial_start(user=reader)
    sub = services.subscription_activate(user=reader, plan=weekly, source="dev", provider_subscription_id="dev_1")
    trial.refresh_from_db()
    assert trial.status == S.EXPIRED and history(trial)[-1] == ("trialing", "expired", "dev")
    assert sub.status == S.ACTIVE and sub.plan == weekly
    assert sub.current_period_end - sub.current_period_start == timedelta(weeks=1)
    assert history(sub) == [("", "active", "dev")]
    assert services.access_decide(reader=Reader(user=reader), article=premium).reason == "subscriber"


def test_activate_is_idempotent_per_provider_subscription(reader, weekly):
    first = services.subscription_activate(user=reader, plan=weekly, source="dev", provider_subscription_id="dev_x")
    again = services.subscription_activate(user=reader, plan=weekly, source="dev", provider_subscription_id="dev_x")
    assert first.pk == again.pk
    assert Subscription.objects.filter(user=reader).count() == 1
    assert SubscriptionEvent.objects.count() == 1


def test_one_live_subscription_per_reader(subscriber, weekly):
    with pytest.raises(Conflict) as exc:
        services.subscription_activate(user=subscriber, plan=weekly, source="dev", provider_subscription_id="dev_other")
    assert exc.value.status_code == 409


def test_annual_plan_period_is_a_calendar_year(reader):
    annual = Plan.objects.get(code="annual")
    start = timezone.now().replace(year=2028, month=2, day=29)
    sub = services.subscription_activate(user=reader, plan=annual, source="dev", period_start=start)
    assert sub.current_period_end == start.replace(year=2029, month=2, day=28)


def test_renew_extends_the_period_once(reader, weekly):
    sub = services.subscription_activate(user=reader, plan=weekly, source="dev")
    old_end = sub.current_period_end
    renewed = services.subscription_renew(subscription=sub, source="sweep")
    assert renewed.current_period_start == old_end and renewed.current_period_end == old_end + timedelta(weeks=1)
    # the same period again changes nothing
    same = services.subscription_renew(
        subscription=sub, source="stripe", period_start=old_end, period_end=old_end + timedelta(weeks=1)
    )
    assert same.current_period_end == old_end + timedelta(weeks=1)
    assert history(sub) == [("", "active", "dev"), ("active", "active", "sweep")]


def test_past_due_then_renewed_returns_to_active(reader, weekly, premium):
    sub = services.subscription_activate(user=reader, plan=weekly, source="dev")
    services.subscription_mark_past_due(subscription=sub, source="stripe")
    services.subscription_mark_past_due(subscription=sub, source="stripe")  # idempotent
    sub.refresh_from_db()
    assert sub.status == S.PAST_DUE and sub.past_due_since is not None
    services.subscription_renew(subscription=sub, source="stripe")
    sub.refresh_from_db()
    assert sub.status == S.ACTIVE and sub.past_due_since is None
    assert history(sub) == [("", "active", "dev"), ("active", "past_due", "stripe"), ("past_due", "active", "stripe")]


def test_past_due_is_refused_for_a_trial(reader):
    sub = services.subscription_trial_start(user=reader)
    with pytest.raises(Conflict):
        services.subscription_mark_past_due(subscription=sub, source="stripe")


# --- cancel / resume / expire / cancel now ---------------------------------------------------------------------


def test_cancel_keeps_state_and_access_until_period_end(reader, weekly, premium):
    sub = services.subscription_activate(user=reader, plan=weekly, source="dev")
    services.subscription_cancel(subscription=sub, actor=reader)
    services.subscription_cancel(subscription=sub, actor=reader)  # idempotent
    sub.refresh_from_db()
    assert sub.status == S.ACTIVE and sub.cancel_at_period_end and sub.canceled_at
    assert history(sub)[-1] == ("active", "active", "reader") and len(history(sub)) == 2
    assert granted(reader, premium, now=sub.current_period_end - timedelta(minutes=1))
    assert not granted(reader, premium, now=sub.current_period_end + timedelta(seconds=1))


def test_resume_undoes_cancel(reader, weekly):
    sub = services.subscription_activate(user=reader, plan=weekly, source="dev")
    services.subscription_cancel(subscription=sub)
    services.subscription_resume(subscription=sub)
    services.subscription_resume(subscription=sub)  # idempotent
    sub.refresh_from_db()
    assert not sub.cancel_at_period_end and sub.canceled_at is None
    assert [e.note for e in SubscriptionEvent.objects.filter(subscription=sub)] == [
        "paid subscription started",
        "cancel at period end",
        "resumed",
    ]


def test_resume_or_cancel_after_the_end_is_a_conflict(lapsed_subscriber):
    sub = Subscription.objects.get(user=lapsed_subscriber)
    with pytest.raises(Conflict):
        services.subscription_resume(subscription=sub)
    with pytest.raises(Conflict):
        services.subscription_cancel(subscription=sub)
    with pytest.raises(NotFound):
        services.subscription_current(user=lapsed_subscriber)


def test_expire_is_idempotent_and_removes_access(reader, weekly, premium):
    sub = services.subscription_activate(user=reader, plan=weekly, source="dev")
    services.subscription_expire(subscription=sub, source="sweep")
    services.subscription_expire(subscription=sub, source="sweep")
    sub.refresh_from_db()
    assert sub.status == S.EXPIRED and sub.ended_at
    assert history(sub) == [("", "active", "dev"), ("active", "expired", "sweep")]
    assert not granted(reader, premium)
    assert OutboundEmail.objects.filter(key=f"paywall:sub:{sub.pk}:expired").count() == 1


def test_cancel_now_ends_access_at_once(reader, weekly, premium, editor):
    sub = services.subscription_activate(user=reader, plan=weekly, source="dev")
    services.subscription_cancel_now(subscription=sub, actor=editor)
    services.subscription_cancel_now(subscription=sub, actor=editor)
    sub.refresh_from_db()
    assert sub.status == S.CANCELED and sub.ended_at
    events = list(SubscriptionEvent.objects.filter(subscription=sub))
    assert (events[-1].from_status, events[-1].to_status, events[-1].actor) == ("active", "canceled", editor)
    assert events[-1].note == "canceled now, refunded"
    assert len(events) == 2
    assert not granted(reader, premium)
    # a new subscription is possible afterwards
    assert services.subscription_activate(user=reader, plan=weekly, source="dev").status == S.ACTIVE


def test_comp_is_staff_only(reader, editor, premium):
    with pytest.raises(PermissionDenied):
        services.subscription_comp(user=reader, actor=reader, days=30)
    sub = services.subscription_comp(user=reader, actor=editor, days=30)
    assert sub.is_comp and sub.status == S.ACTIVE and history(sub) == [("", "active", "staff")]
    assert granted(reader, premium)
    with pytest.raises(Conflict):
        services.subscription_comp(user=reader, actor=editor, days=30)


# --- access follows the state -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "days", "expected"),
    [
        ("trialing", {"trial_end": 1}, True),
        ("trialing", {"trial_end": -1}, False),
        ("active", {"current_period_end": 4}, True),
        ("active", {"current_period_end": -1}, False),
        ("active-canceled", {"current_period_end": 4}, True),  # canceled, before period end
        ("active-canceled", {"current_period_end": -1}, False),  # canceled, after period end
        ("past_due", {"past_due_since": -2}, True),  # within the 3-day grace
        ("past_due", {"past_due_since": -4}, False),  # beyond it
        ("expired", {}, False),
        ("canceled", {}, False),
    ],
)
def test_access_follows_subscription_state(status, days, expected, premium, settings):
    settings.BILLING_GRACE_DAYS = 3
    now = timezone.now()
    user = UserFactory(email_verified_at=now)
    fields = {name: now + timedelta(days=n) for name, n in days.items()}
    if status == "trialing":
        fields.update(is_trial=True, current_period_end=fields["trial_end"])
    Subscription.objects.create(
        user=user,
        status=status.removesuffix("-canceled"),
        cancel_at_period_end=status.endswith("-canceled"),
        current_period_start=now - timedelta(days=3),
        **{"current_period_end": now - timedelta(days=1), **fields},
    )
    decision = services.access_decide(reader=Reader(user=user), article=premium, now=now)
    assert decision.granted is expected
    assert decision.reason == (("trial" if status == "trialing" else "subscriber") if expected else "premium")


# --- the sweep --------------------------------------------------------------------------------------------------


def test_sweep_expires_what_ended_and_is_idempotent(weekly, editor, settings):
    settings.BILLING_GRACE_DAYS = 3
    now = timezone.now()
    users = [UserFactory(email_verified_at=now) for _ in range(7)]
    ended_trial = services.subscription_trial_start(user=users[0], now=now - timedelta(days=15))
    running_trial = services.subscription_trial_start(user=users[1], now=now - timedelta(days=2))
    canceled = services.subscription_activate(user=users[2], plan=weekly, source="dev", now=now - timedelta(days=8))
    services.subscription_cancel(subscription=canceled)
    grace_over = services.subscription_activate(user=users[3], plan=weekly, source="stripe", provider="stripe")
    services.subscription_mark_past_due(subscription=grace_over, source="stripe", since=now - timedelta(days=4))
    in_grace = services.subscription_activate(user=users[4], plan=weekly, source="stripe", provider="stripe")
    services.subscription_mark_past_due(subscription=in_grace, source="stripe", since=now - timedelta(days=1))
    dev_due = services.subscription_activate(user=users[5], plan=weekly, source="dev", now=now - timedelta(days=8))
    comp_over = services.subscription_comp(user=users[6], actor=editor, days=1, now=now - timedelta(days=2))

    first = services.subscription_sweep(now=now)
    second = services.subscription_sweep(now=now)

    status = {s.pk: s.status for s in Subscription.objects.all()}
    assert status[ended_trial.pk] == S.EXPIRED
    assert status[running_trial.pk] == S.TRIALING
    assert status[canceled.pk] == S.EXPIRED
    assert status[grace_over.pk] == S.EXPIRED
    assert status[in_grace.pk] == S.PAST_DUE
    assert status[dev_due.pk] == S.ACTIVE
    assert status[comp_over.pk] == S.EXPIRED
    dev_due.refresh_from_db()
    assert dev_due.current_period_end > now
    assert first == {"expired": 4, "renewed": 1, "past_due": 0, "trial_ending_emails": 0}
    assert second == {"expired": 0, "renewed": 0, "past_due": 0, "trial_ending_emails": 0}
    for sub in (ended_trial, canceled, grace_over, comp_over):
        assert [e.to_status for e in SubscriptionEvent.objects.filter(subscription=sub, source="sweep")] == ["expired"]


def test_sweep_moves_a_lapsed_provider_subscription_to_past_due_with_grace(reader, weekly, premium):
    now = timezone.now()
    sub = services.subscription_activate(
        user=reader, plan=weekly, source="stripe", provider="stripe", now=now - timedelta(days=7, hours=1)
    )
    assert services.subscription_sweep(now=now)["past_due"] == 1
    sub.refresh_from_db()
    assert sub.status == S.PAST_DUE and sub.past_due_since == sub.current_period_end
    assert granted(reader, premium, now=now)


def test_sweep_renews_a_long_lapsed_dev_subscription_from_now(reader, weekly):
    now = timezone.now()
    sub = services.subscription_activate(user=reader, plan=weekly, source="dev", now=now - timedelta(days=60))
    assert services.subscription_sweep(now=now)["renewed"] == 1
    sub.refresh_from_db()
    assert sub.current_period_start == now and sub.current_period_end == now + timedelta(weeks=1)
    assert services.subscription_sweep(now=now)["renewed"] == 0


def test_sweep_sends_trial_ending_email_once(reader):
    now = timezone.now()
    sub = services.subscription_trial_start(user=reader, now=now - timedelta(days=12))
    assert services.subscription_sweep(now=now)["trial_ending_emails"] == 1
    assert services.subscription_sweep(now=now + timedelta(hours=1))["trial_ending_emails"] == 0
    assert OutboundEmail.objects.filter(key=f"paywall:sub:{sub.pk}:trial_ending").count() == 1


def test_sweep_task_runs_the_sweep(reader):
    from paywall.tasks import subscription_sweep_task

    sub = services.subscription_trial_start(user=reader, now=timezone.now() - timedelta(days=15))
    assert subscription_sweep_task.delay().get()["expired"] == 1
    sub.refresh_from_db()
    assert sub.status == S.EXPIRED
