"""Admin of the meter policies: an experiment with its arms inline and its checks (shares, one control, one
experiment at a time, rolling days only for rolling windows), "Stop now", section rules, and the default policy's
window effective at the next request."""

from datetime import timedelta

import pytest
from django.utils import timezone

from paywall.models import Experiment, ExperimentArm, SectionMeterRule
from paywall.readers import Reader, reader_token_issue
from paywall.services import access_decide
from tests.articles.factories import ArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/paywall/experiment/add/"


def _arm(i: int, name: str, share: int, control: bool, **rules) -> dict:
    values = {"name": name, "share": share, "window": "day", "rolling_days": 30, "ordering": i, **rules}
    if control:
        values["is_control"] = "on"
    return {f"arms-{i}-{key}": value for key, value in values.items()}


def _post(client, *arms, slug="wall", start=None, stop=None):
    start = start or timezone.now() - timedelta(minutes=1)
    data = {
        "name": slug,
        "slug": slug,
        "hypothesis": "",
        "start_at_0": timezone.localtime(start).strftime("%Y-%m-%d"),
        "start_at_1": timezone.localtime(start).strftime("%H:%M:%S"),
        "stop_at_0": timezone.localtime(stop).strftime("%Y-%m-%d") if stop else "",
        "stop_at_1": timezone.localtime(stop).strftime("%H:%M:%S") if stop else "",
        "arms-TOTAL_FORMS": len(arms),
        "arms-INITIAL_FORMS": 0,
        "arms-MIN_NUM_FORMS": 0,
        "arms-MAX_NUM_FORMS": 1000,
    }
    for arm in arms:
        data.update(arm)
    return client.post(ADD, data)


def test_staff_create_an_experiment_with_arms_and_it_applies_at_the_next_request(admin_client):
    reader = Reader(anon_id=reader_token_issue()[0])
    assert access_decide(reader=reader, article=ArticleFactory()).policy is None  # the policies are cached now
    response = _post(
        admin_client,
        _arm(0, "control", 50, True),
        _arm(1, "monthly", 50, False, window="month", anonymous_limit=8, registration_wall="on"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    experiment = Experiment.objects.get(slug="wall")
    assert sorted(experiment.arms.values_list("name", "share")) == [("control", 50), ("monthly", 50)]
    assert access_decide(reader=reader, article=ArticleFactory()).policy["experiment"] == "wall"


@pytest.mark.parametrize(
    "arms, error",
    [
        ((_arm(0, "a", 60, True), _arm(1, "b", 60, False)), "add up to 120%: at most 100%"),
        ((_arm(0, "a", 50, False), _arm(1, "b", 50, False)), "Exactly one arm must be the control (0 marked)"),
        ((_arm(0, "a", 50, True), _arm(1, "b", 50, True)), "Exactly one arm must be the control (2 marked)"),
        ((_arm(0, "a", 50, True),), "two or more arms"),
        ((_arm(0, "a", 50, True, rolling_days=7), _arm(1, "b", 50, False)), "Rolling days apply only to the rolling"),
    ],
)
def test_experiment_checks_answer_clear_errors(admin_client, arms, error):
    response = _post(admin_client, *arms)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Experiment.objects.exists()


def test_at_most_one_experiment_runs_at_any_moment(admin_client):
    other = Experiment.objects.create(slug="other", name="Other", start_at=timezone.now() - timedelta(days=1))
    response = _post(
        admin_client, _arm(0, "a", 50, True), _arm(1, "b", 50, False), start=timezone.now() + timedelta(days=3)
    )
    assert response.status_code == 200
    assert "at most one experiment may run at any moment" in response.content.decode()
    other.stop_at = timezone.now()
    other.save()
    later = _post(
        admin_client, _arm(0, "a", 50, True), _arm(1, "b", 50, False), start=timezone.now() + timedelta(days=3)
    )
    assert later.status_code == 302


def test_stop_now_returns_everyone_to_the_default(admin_client):
    experiment = Experiment.objects.create(slug="run", name="Run", start_at=timezone.now() - timedelta(days=1))
    ExperimentArm.objects.create(experiment=experiment, name="all", share=100, is_control=True)
    reader = Reader(anon_id=reader_token_issue()[0])
    assert access_decide(reader=reader, article=ArticleFactory()).policy == {"experiment": "run", "arm": "all"}
    response = admin_client.post(
        "/admin/paywall/experiment/", {"action": "stop_now", "_selected_action": [experiment.pk]}
    )
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert experiment.stop_at is not None and experiment.stop_at <= timezone.now()
    assert access_decide(reader=reader, article=ArticleFactory()).policy is None


def test_section_rules_take_allowances_only_for_an_own_allowance(admin_client):
    section = SectionFactory()
    bad = admin_client.post(
        "/admin/paywall/sectionmeterrule/add/", {"section": section.pk, "mode": "premium", "anonymous_limit": 2}
    )
    assert bad.status_code == 200 and "Only a section with its own allowance takes allowances" in bad.content.decode()
    good = admin_client.post(
        "/admin/paywall/sectionmeterrule/add/", {"section": section.pk, "mode": "premium", "anonymous_limit": ""}
    )
    assert good.status_code == 302
    article = ArticleFactory(section=section)
    assert access_decide(reader=Reader(anon_id=reader_token_issue()[0]), article=article).reason == "premium"
    assert SectionMeterRule.objects.get().mode == "premium"


def test_the_default_policy_window_is_edited_in_the_admin(admin_client):
    data = {
        "window": "week",
        "rolling_days": "30",
        "anonymous_limit": "4",
        "registered_limit": "",
        "attribution_days": 30,
    }
    assert admin_client.post("/admin/paywall/meterpolicy/add/", data).status_code == 302
    decision = access_decide(reader=Reader(anon_id=reader_token_issue()[0]), article=ArticleFactory())
    assert (decision.limit, decision.period.weekday()) == (4, 0)
    bad = admin_client.post("/admin/paywall/meterpolicy/1/change/", {**data, "window": "day", "rolling_days": "9"})
    assert bad.status_code == 200 and "Rolling days apply only to the rolling window" in bad.content.decode()
