"""The meter under real concurrency: one anonymous reader, 50 simultaneous requests for 50 different metered
articles spread over two gunicorn instances sharing PostgreSQL and Redis: exactly the limit get full bodies."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings

from paywall.models import MeterPeriod, MeterRead
from paywall.readers import reader_token_issue
from tests.articles.factories import ArticleFactory

from .conftest import Gunicorn, app_env, http

pytestmark = pytest.mark.integration


def test_fifty_concurrent_requests_on_two_servers_grant_exactly_the_limit(test_database_url, private_redis, servers):
    # given 50 metered articles and two servers (2 workers each) on the same database and Redis
    articles = ArticleFactory.create_batch(50)
    env = app_env(database_url=test_database_url, redis_url=private_redis.url(0))
    first = Gunicorn(env, workers=2).start()
    servers.append(first)
    second = Gunicorn(env, workers=2).start()
    servers.append(second)
    anon_id, token = reader_token_issue()
    barrier = threading.Barrier(len(articles))

    def read(i: int):
        server = (first, second)[i % 2]
        barrier.wait(timeout=30)
        return http("GET", f"{server.url}/api/v1/articles/{articles[i].slug}/", headers={"X-Reader-Token": token})

    # when the one reader asks for all of them at once
    with ThreadPoolExecutor(max_workers=len(articles)) as pool:
        answers = list(pool.map(read, range(len(articles))))

    # then every request is answered, and exactly `limit` of them carry the full text
    assert [status for status, _, _ in answers] == [200] * 50, [body[:200] for _, _, body in answers]
    bodies = [json.loads(body) for _, _, body in answers]
    limit = settings.PAYWALL_ANONYMOUS_DAILY_LIMIT
    full = [b for b in bodies if b["body_is_preview"] is False]
    assert len(full) == limit
    assert all(b["access"]["granted"] for b in full)
    assert sum("SECRET-AFTER-BOUNDARY" in b["body"] for b in bodies) == limit
    assert {b["access"]["reason"] for b in bodies if b["body_is_preview"]} == {"meter_exhausted"}
    # and the meter agrees (requests alternated between the two servers)
    assert MeterPeriod.objects.get(reader_key=f"a:{anon_id}").used == limit
    assert MeterRead.objects.filter(reader_key=f"a:{anon_id}").count() == limit
