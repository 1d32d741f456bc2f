"""The proof of issue 16's funnel: a known population driven through HTTP, then the beat rollup task, then exact
counts and conversion rates per experiment arm from the analytics API, on PostgreSQL.

Two arms of 6 anonymous readers each, plus 2 readers outside the experiment. With an anonymous allowance of 2, a
reader who opens 3 articles has 2 counted reads and then hits the wall. Then some register (over REST or GraphQL),
verify their address, start the free trial, and pay: through the dev provider's checkout page or a signed Stripe
webhook (`checkout.session.completed`), converting a trial or paying at once.

    arm      readers  wall  registered  trial  paid                   source
    control     6       5       3         2     1 (dev, from trial)   newsletter
    strict      6       6       4         3     3 (dev from trial, Stripe from trial, Stripe without trial)  twitter
    outside     2       0       0         0     0                     (direct)
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.models import User
from accounts.tokens import email_verify_token_make
from cms.celery import app as celery_app
from paywall import tasks as paywall_tasks  # noqa: F401 - registers the beat tasks
from paywall.models import Experiment, ExperimentArm, ExperimentAssignment
from paywall.readers import reader_token_issue
from paywall.services.policies import experiment_arm_for
from tests.accounts.helpers import PASSWORD
from tests.articles.factories import ArticleFactory
from tests.paywall.billing.test_dev_checkout import checkout_path
from tests.paywall.billing.test_stripe import checkout_completed
from tests.paywall.conftest import signed_post

pytestmark = pytest.mark.django_db(transaction=False)


class Person:
    """One reader: an anonymous token, then maybe an account."""

    def __init__(self, world, name: str, arm: ExperimentArm | None, source: str):
        self.world, self.name, self.source = world, name, source
        self.anon_id, token = _anonymous_in(arm)
        self.headers = {"HTTP_X_READER_TOKEN": token, "REMOTE_ADDR": f"198.51.100.{len(world.people) + 1}"}
        self.user, self.access = None, None
        self.arm = experiment_arm_for(reader_key=f"a:{self.anon_id}")
        assert self.arm == ((arm.experiment.slug, arm.name) if arm else None)

    def read(self, article, *, graphql: bool = False) -> str:
        query = f"?utm_source={self.source}" if self.source else ""
        if graphql:
            body = {"query": '{ article(slug: "%s") { body access { reason } } }' % article.slug}  # noqa: UP031
            response = self.world.client.post(f"/graphql/{query}", body, format="json", **self._auth())
            return response.json()["data"]["article"]["access"]["reason"]
        response = self.world.client.get(f"/api/v1/articles/{article.slug}/{query}", **self._auth())
        assert response.status_code == 200, response.content
        return response.json()["access"]["reason"]

    def read_until_the_wall(self, *, graphql: bool = False) -> None:
        reasons = [self.read(article, graphql=graphql) for article in self.world.articles[:3]]
        assert reasons == ["metered", "metered", "meter_exhausted"]

    def register(self) -> None:
        email = f"{self.name}@example.com"
        response = self.world.client.post(
            "/api/v1/auth/register/", {"email": email, "password": PASSWORD}, format="json", **self.headers
        )
        assert response.status_code == 202
        self.user = User.objects.get(email=email)
        if experiment_arm_for(reader_key=f"u:{self.user.pk}") is None and self.arm is not None:
            # The merge carries the anonymous reader's arm to the account (the policy lane's meter_merge); this keeps
            # the proof independent of which branch lands first.
            experiment = Experiment.objects.get(slug=self.arm[0])
            ExperimentAssignment.objects.create(
                experiment=experiment, arm=experiment.arms.get(name=self.arm[1]), reader_key=f"u:{self.user.pk}"
            )
        assert experiment_arm_for(reader_key=f"u:{self.user.pk}") == self.arm
        login = self.world.client.post(
            "/api/v1/auth/login/", {"email": email, "password": PASSWORD}, format="json", **self.headers
        )
        self.access = login.json()["access"]

    def _auth(self) -> dict:
        return {**self.headers, "HTTP_AUTHORIZATION": f"Bearer {self.access}"} if self.access else self.headers

    def verify_and_start_trial(self) -> None:
        token = email_verify_token_make(user=self.user, email=self.user.email)
        assert self.world.client.post("/api/v1/auth/verify-email/", {"token": token}, format="json").status_code == 200
        response = self.world.client.post("/api/v1/subscriptions/trial/", **self._auth())
        assert response.status_code == 201, response.content

    def pay_with_dev_provider(self) -> None:
        self.world.settings.BILLING_PROVIDER = "dev"
        response = self.world.django_client.post(checkout_path(self.user))
        assert response.status_code == 200 and "You're subscribed" in response.content.decode()

    def pay_with_stripe(self, n: int) -> None:
        self.world.settings.BILLING_PROVIDER = "stripe"
        self.world.fake_stripe.subscription(f"sub_{n}", user_id=self.user.pk, customer=f"cus_{n}")
        event = checkout_completed(self.user, sub_id=f"sub_{n}", event_id=f"evt_checkout_{n}")
        response = signed_post(self.world.django_client, event)
        assert response.status_code == 200 and response.json()["outcome"] == "activated", response.content


def _anonymous_in(arm: ExperimentArm | None) -> tuple[str, str]:
    """A new anonymous reader (id, token) whom the experiment puts in `arm` (None: outside it). Arms are a stable hash
    of the reader id, so new ids are drawn until one lands there; an assignment row decides it where arms are
    stored rather than hashed."""
    for _ in range(200):
        anon_id, token = reader_token_issue()
        key = f"a:{anon_id}"
        if arm is not None and experiment_arm_for(reader_key=key) is None:
            ExperimentAssignment.objects.create(experiment=arm.experiment, arm=arm, reader_key=key)
        wanted = (arm.experiment.slug, arm.name) if arm else None
        if experiment_arm_for(reader_key=key) == wanted:
            return anon_id, token
        ExperimentAssignment.objects.filter(reader_key=key).delete()
    raise AssertionError(f"no reader id lands in {arm}")


class World:
    def __init__(self, api_client, client, settings, fake_stripe):
        self.client, self.django_client, self.settings, self.fake_stripe = api_client, client, settings, fake_stripe
        self.articles = [ArticleFactory() for _ in range(4)]
        self.people: list[Person] = []

    def person(self, name, arm, source) -> Person:
        person = Person(self, name, arm, source)
        self.people.append(person)
        return person


@pytest.fixture
def world(api_client, client, settings, fake_stripe, stripe_plan):
    settings.PAYWALL_ANONYMOUS_DAILY_LIMIT = 2
    settings.PAYWALL_REGISTERED_DAILY_LIMIT = 5
    settings.BILLING_PROVIDER = "dev"
    return World(api_client, client, settings, fake_stripe)


def _experiment():
    experiment = Experiment.objects.create(
        slug="wall-test", name="Wall test", start_at=timezone.now() - timedelta(days=1)
    )
    control = ExperimentArm.objects.create(experiment=experiment, name="control", is_control=True, share=45)
    strict = ExperimentArm.objects.create(experiment=experiment, name="strict", share=45, ordering=1)
    return experiment, control, strict


def _drive(world: World, control: ExperimentArm, strict: ExperimentArm) -> None:
    c = [world.person(f"c{i}", control, "newsletter") for i in range(6)]
    s = [world.person(f"s{i}", strict, "twitter") for i in range(6)]
    outside = [world.person(f"o{i}", None, "") for i in range(2)]  # the 10% of traffic outside the arms

    c[0].read(world.articles[0])  # reads one article and leaves
    for person in c[1:]:
        person.read_until_the_wall()
    for i, person in enumerate(s):
        person.read_until_the_wall(graphql=i % 2 == 1)  # the same funnel over GraphQL
    for person in outside:
        person.read(world.articles[3])

    for person in (*c[1:4], *s[:4]):
        person.register()
        assert person.read(world.articles[3]) == "metered"  # the same person reads on, as an account
    for person in (*c[1:3], *s[:3]):
        person.verify_and_start_trial()
    c[1].pay_with_dev_provider()
    s[0].pay_with_dev_provider()
    s[1].pay_with_stripe(1)  # converts the trial
    s[3].pay_with_stripe(2)  # pays at once, no trial


def _steps(row: dict) -> tuple:
    return tuple(row[k] for k in ("readers", "paywall_shown", "registered", "trials", "paid"))


def test_a_known_population_gives_exact_counts_and_rates_per_arm(world, editor, api_client):
    experiment, control, strict = _experiment()
    _drive(world, control, strict)

    # the beat job, by the name the schedule gives it
    task_name = django_settings.CELERY_BEAT_SCHEDULE["paywall.funnel_rollup"]["task"]
    assert django_settings.CELERY_BEAT_SCHEDULE["paywall.funnel_rollup"]["schedule"] == 300.0
    celery_app.tasks[task_name].delay()

    world.client.force_authenticate(editor)
    today = timezone.localdate().isoformat()
    by_arm = world.client.get("/api/v1/analytics/funnel/", {"from": today, "to": today, "group_by": "arm"}).json()
    rows = {row["key"]: row for row in by_arm["rows"]}
    assert set(rows) == {"wall-test/control", "wall-test/strict"}
    assert _steps(rows["wall-test/control"]) == (6, 5, 3, 2, 1)
    assert _steps(rows["wall-test/strict"]) == (6, 6, 4, 3, 3)
    assert _steps(by_arm["totals"]) == (14, 11, 7, 5, 4)
    assert rows["wall-test/strict"]["rates"] == {
        "paywall_shown_of_readers": 1.0,
        "registered_of_readers": pytest.approx(4 / 6),
        "trials_of_readers": 0.5,
        "paid_of_readers": 0.5,
        "registered_of_paywall_shown": pytest.approx(4 / 6),
        "trials_of_registered": 0.75,
        "paid_of_trials": 1.0,
    }
    assert rows["wall-test/control"]["rates"]["paid_of_readers"] == pytest.approx(1 / 6)
    assert rows["wall-test/control"]["rates"]["registered_of_paywall_shown"] == 0.6

    by_source = world.client.get("/api/v1/analytics/funnel/", {"from": today, "group_by": "source"}).json()
    assert {r["key"]: _steps(r) for r in by_source["rows"]} == {
        "twitter": (6, 6, 4, 3, 3),  # conversions carry the source of the paywall that led to them
        "newsletter": (6, 5, 3, 2, 1),
        "(direct)": (2, 0, 0, 0, 0),
    }
    by_article = world.client.get("/api/v1/analytics/funnel/", {"from": today, "group_by": "article"}).json()
    walled = world.articles[2].slug  # the third article is where everyone hit the wall: it gets the conversions
    assert _steps(next(r for r in by_article["rows"] if r["key"] == walled)) == (11, 11, 7, 5, 4)

    report = world.client.get(f"/api/v1/analytics/experiments/{experiment.slug}/").json()
    arms = {arm["arm"]: arm for arm in report["arms"]}
    assert _steps(arms["control"]) == (6, 5, 3, 2, 1) and _steps(arms["strict"]) == (6, 6, 4, 3, 3)
    assert arms["strict"]["intervals"]["paid"] == [pytest.approx(0.1876, abs=1e-4), pytest.approx(0.8124, abs=1e-4)]
    # P(Beta(4, 4) > Beta(2, 6)) = 124/143 exactly (the closed form; numerical integration agrees to 1e-5)
    assert arms["strict"]["probability_to_beat_control"]["paid"] == pytest.approx(124 / 143, abs=1e-12)

    # the rollup again: the same figures
    celery_app.tasks[task_name].delay()
    again = world.client.get("/api/v1/analytics/funnel/", {"from": today, "to": today, "group_by": "arm"}).json()
    assert again == by_arm
