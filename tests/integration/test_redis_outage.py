"""Redis (cache and broker) stopped while readers read: article detail keeps answering from PostgreSQL (the meter
lives there) with no 500 and never full text for free, and the service recovers by itself once Redis is back."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from paywall.readers import reader_token_issue
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory
from tests.paywall.factories import SubscriptionFactory

from .conftest import Gunicorn, app_env, http, wait_for

pytestmark = pytest.mark.integration

SECRET = "SECRET-AFTER-BOUNDARY"


def _detail(server, slug: str, headers: dict) -> dict:
    status, _, body = http("GET", f"{server.url}/api/v1/articles/{slug}/", headers=headers, timeout=5)
    assert status == 200, (status, body[:300])
    return json.loads(body)


def test_article_detail_survives_a_redis_outage_and_recovers(test_database_url, private_redis, servers):
    # given a free, a premium and four metered articles, a subscriber, and an anonymous reader who used the meter
    free = ArticleFactory(access_level="free")
    premium = ArticleFactory(access_level="premium")
    metered = ArticleFactory.create_batch(4)
    user = UserFactory(email_verified_at=timezone.now())
    SubscriptionFactory(user=user, status="active", current_period_end=timezone.now() + timedelta(days=7))
    subscriber = {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}
    server = Gunicorn(app_env(database_url=test_database_url, redis_url=private_redis.url(0)), workers=2).start()
    servers.append(server)
    _, token = reader_token_issue()
    exhausted = {"X-Reader-Token": token}
    for article in metered[:3]:
        assert _detail(server, article.slug, exhausted)["body_is_preview"] is False

    def every_reader_gets_what_they_are_owed():
        assert SECRET in _detail(server, free.slug, {})["body"]
        answer = _detail(server, metered[3].slug, exhausted)
        assert answer["body_is_preview"] is True and SECRET not in answer["body"]
        assert answer["access"]["reason"] == "meter_exhausted"
        answer = _detail(server, premium.slug, {})
        assert answer["body_is_preview"] is True and SECRET not in answer["body"]
        answer = _detail(server, premium.slug, subscriber)
        assert answer["body_is_preview"] is False and SECRET in answer["body"]
        status, _, _ = http("GET", f"{server.url}/api/v1/articles/", timeout=5)
        assert status == 200

    every_reader_gets_what_they_are_owed()

    # when Redis goes away during reads
    private_redis.stop()
    deadline = time.monotonic() + 3
    rounds = 0
    while time.monotonic() < deadline:
        every_reader_gets_what_they_are_owed()  # no 500, no free full text
        rounds += 1
    assert rounds >= 2
    # a new reader still gets a counted read (the meter is in PostgreSQL, not Redis)
    _, fresh = reader_token_issue()
    assert _detail(server, metered[3].slug, {"X-Reader-Token": fresh})["body_is_preview"] is False
    status, _, body = http("GET", f"{server.url}/healthz")
    assert status == 503 and json.loads(body)["checks"]["cache"]["ok"] is False

    # then, once Redis is back, the service recovers by itself within 10 s
    private_redis.start()
    returned = time.monotonic()

    def healthy():
        return all(http("GET", f"{server.url}/healthz", timeout=2)[0] == 200 for _ in range(4))

    wait_for(healthy, timeout=10, interval=0.2, what="healthz 200 after Redis returned")
    assert time.monotonic() - returned < 10
    every_reader_gets_what_they_are_owed()
