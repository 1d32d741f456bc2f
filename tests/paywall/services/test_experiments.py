"""Experiments: a reader's arm is a stable hash of the experiment and the reader id; arms take consecutive traffic
shares and the rest get the default; an account's stored assignment wins; registration carries the anonymous
reader's arm, login keeps the account's; stopping returns everyone to the default at the next request, and the
results stay; the arm that decided is in `access.policy` over REST and GraphQL."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from paywall.models import Experiment, ExperimentArm, ExperimentAssignment, MeterWindow
from paywall.readers import Reader, reader_token_issue
from paywall.selectors import policy_book
from paywall.services import access_decide, meter_policy_update
from paywall.services.policies import arm_by_hash, experiment_arm_for, experiment_stop
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory
from tests.articles.graphql.helpers import DETAIL

pytestmark = pytest.mark.django_db

ARTICLE = DETAIL + "query($slug: String!) { article(slug: $slug) { ...Detail } }"
PASSWORD = "a-long-enough-passphrase"


def _experiment(*arms, slug="meter-test", started=timedelta(hours=1)) -> Experiment:
    """arms: (name, share, is_control, rules...)."""
    experiment = Experiment.objects.create(slug=slug, name=slug, start_at=timezone.now() - started)
    for order, (name, share, control, rules) in enumerate(arms):
        ExperimentArm.objects.create(
            experiment=experiment, name=name, share=share, is_control=control, ordering=order, **rules
        )
    return experiment


def _anon_with_token(arm: str | None) -> tuple[Reader, str]:
    """An anonymous reader whose hash falls in `arm` (None: outside the traffic), and its token."""
    experiment = policy_book().experiment_at(timezone.now())
    while True:
        anon_id, token = reader_token_issue()
        reader = Reader(anon_id=anon_id)
        found = arm_by_hash(experiment=experiment, reader_id=reader.key)
        if (found.name if found else None) == arm:
            return reader, token


def _anon_in(arm: str | None) -> Reader:
    return _anon_with_token(arm)[0]


def test_arms_are_stable_and_split_the_traffic_by_share():
    _experiment(("control", 30, True, {}), ("monthly", 20, False, {}))
    ids = [f"a:{i:032x}" for i in range(10_000)]
    first = [experiment_arm_for(reader_key=key) for key in ids]
    assert first == [experiment_arm_for(reader_key=key) for key in ids]  # stable
    counts = Counter(arm[1] if arm else None for arm in first)
    assert abs(counts["control"] - 3_000) < 200
    assert abs(counts["monthly"] - 2_000) < 200
    assert abs(counts[None] - 5_000) < 200  # the rest: the default policy
    assert {arm[0] for arm in first if arm} == {"meter-test"}


def test_the_hash_depends_on_the_experiment_too():
    a = _experiment(("x", 50, True, {}), ("y", 50, False, {}), slug="one")
    arms_one = [
        arm_by_hash(experiment=policy_book().experiment_at(timezone.now()), reader_id=f"a:{i}") for i in range(200)
    ]
    experiment_stop(experiment=a)
    _experiment(("x", 50, True, {}), ("y", 50, False, {}), slug="two")
    arms_two = [
        arm_by_hash(experiment=policy_book().experiment_at(timezone.now()), reader_id=f"a:{i}") for i in range(200)
    ]
    assert [a.name for a in arms_one] != [a.name for a in arms_two]


def test_the_arm_policy_decides_and_is_named_in_the_decision():
    meter_policy_update(anonymous_limit=3)
    _experiment(("control", 50, True, {}), ("tight", 50, False, {"anonymous_limit": 1, "window": MeterWindow.WEEK}))
    reader = _anon_in("tight")
    first = access_decide(reader=reader, article=ArticleFactory(), record=True)
    assert (first.granted, first.limit, first.policy) == (True, 1, {"experiment": "meter-test", "arm": "tight"})
    assert first.period == timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    refused = access_decide(reader=reader, article=ArticleFactory(), record=True)
    assert (refused.granted, refused.policy["arm"]) == (False, "tight")
    control = access_decide(reader=_anon_in("control"), article=ArticleFactory(), record=True)
    assert (control.limit, control.policy) == (3, {"experiment": "meter-test", "arm": "control"})  # empty: default


def test_readers_outside_the_traffic_get_the_default_policy():
    meter_policy_update(anonymous_limit=2)
    _experiment(("control", 10, True, {}), ("tight", 10, False, {"anonymous_limit": 0}))
    decision = access_decide(reader=_anon_in(None), article=ArticleFactory(), record=True)
    assert (decision.granted, decision.limit, decision.policy) == (True, 2, None)


def test_signed_in_readers_use_their_stored_assignment_else_their_hash():
    experiment = _experiment(("control", 50, True, {}), ("tight", 50, False, {}))
    user = UserFactory()
    by_hash = experiment_arm_for(reader_key=f"u:{user.pk}")
    other = next(arm for arm in experiment.arms.all() if arm.name != by_hash[1])
    ExperimentAssignment.objects.create(experiment=experiment, arm=other, reader_key=f"u:{user.pk}")
    assert experiment_arm_for(reader_key=f"u:{user.pk}") == ("meter-test", other.name)
    decision = access_decide(reader=Reader(user=user), article=ArticleFactory(), record=True)
    assert decision.policy == {"experiment": "meter-test", "arm": other.name}


def _auth(client, action: str, email: str, token: str):
    """Register or log in as `email`, from the anonymous reader holding `token`."""
    body = {"email": email, "password": PASSWORD}
    return client.post(f"/api/v1/auth/{action}/", body, format="json", headers={"X-Reader-Token": token})


@pytest.mark.parametrize("anon_arm", ["tight", None])
def test_registration_carries_the_anonymous_readers_arm(api_client, anon_arm):
    _experiment(("control", 40, True, {}), ("tight", 40, False, {"registered_limit": 1}))
    _, token = _anon_with_token(anon_arm)
    assert _auth(api_client, "register", "carry@example.com", token).status_code == 202
    user = UserFactory._meta.model.objects.get(email="carry@example.com")
    stored = ExperimentAssignment.objects.get(reader_key=f"u:{user.pk}")
    assert (stored.arm.name if stored.arm else None) == anon_arm
    expected = ("meter-test", anon_arm) if anon_arm else None
    assert experiment_arm_for(reader_key=f"u:{user.pk}") == expected


def test_login_keeps_the_accounts_own_arm(api_client):
    experiment = _experiment(("control", 50, True, {}), ("tight", 50, False, {}))
    user = UserFactory(email="keep@example.com")
    user.set_password(PASSWORD)
    user.save()
    own = experiment_arm_for(reader_key=f"u:{user.pk}")
    other = next(arm.name for arm in experiment.arms.all() if arm.name != own[1])
    _, token = _anon_with_token(other)
    assert _auth(api_client, "login", "keep@example.com", token).status_code == 200
    assert experiment_arm_for(reader_key=f"u:{user.pk}") == own
    assert not ExperimentAssignment.objects.exists()


def test_stopping_returns_everyone_to_the_default_at_the_next_request_and_keeps_the_results():
    meter_policy_update(anonymous_limit=3)
    experiment = _experiment(("control", 50, True, {}), ("tight", 50, False, {"anonymous_limit": 1}))
    user = UserFactory()
    ExperimentAssignment.objects.create(
        experiment=experiment, arm=experiment.arms.get(name="tight"), reader_key=f"u:{user.pk}"
    )
    reader = _anon_in("tight")
    assert access_decide(reader=reader, article=ArticleFactory()).policy["arm"] == "tight"
    assert experiment_stop(experiment=experiment) is True
    decision = access_decide(reader=reader, article=ArticleFactory())
    assert (decision.policy, decision.limit) == (None, 3)
    assert experiment_arm_for(reader_key=reader.key) is None
    assert ExperimentAssignment.objects.filter(experiment=experiment).count() == 1  # the results stay
    assert experiment_stop(experiment=experiment) is False  # already stopped: nothing to do


def test_a_scheduled_experiment_starts_without_a_cache_purge():
    _experiment(("control", 100, True, {}), slug="later", started=-timedelta(hours=1))
    policy_book()  # cached before it starts
    assert experiment_arm_for(reader_key="a:x") is None
    assert experiment_arm_for(reader_key="a:x", now=timezone.now() + timedelta(hours=2)) == ("later", "control")


def test_access_policy_over_rest_and_graphql(api_client, graphql_client):
    _experiment(("control", 100, True, {}))
    article = ArticleFactory()
    rest = api_client.get(f"/api/v1/articles/{article.slug}/").json()
    assert rest["access"]["policy"] == {"experiment": "meter-test", "arm": "control"}
    data = graphql_client(ARTICLE, {"slug": article.slug}).json_body["data"]["article"]
    assert data["access"]["policy"] == {"experiment": "meter-test", "arm": "control"}
