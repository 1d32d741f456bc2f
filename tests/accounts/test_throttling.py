"""The sliding-window counter throttle behind every REST/GraphQL rate (anon, user, apikey, login, register).

Runs against whatever cache the suite has: the in-process cache on SQLite, Redis (one pipelined round trip) in CI.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIRequestFactory

from accounts.throttling import AnonRateThrottle, CounterRateThrottle

pytestmark = pytest.mark.django_db


class _Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def _throttle(rate: str, clock: _Clock) -> type[CounterRateThrottle]:
    class Fixed(AnonRateThrottle):
        scope = "test"
        timer = clock

        def get_rate(self):
            return rate

    return Fixed


def _request(ip: str = "203.0.113.7"):
    request = APIRequestFactory().get("/api/v1/articles/", REMOTE_ADDR=ip)
    request.user = None
    return request


def _hits(throttle_class, n: int, ip: str = "203.0.113.7") -> list[bool]:
    return [throttle_class().allow_request(_request(ip), None) for _ in range(n)]


def test_allows_exactly_the_rate_then_refuses_with_a_wait():
    clock = _Clock(1_000_000 * 60 + 1.0)  # one second into a window
    cls = _throttle("3/min", clock)
    assert _hits(cls, 3) == [True, True, True]
    refused = cls()
    assert refused.allow_request(_request(), None) is False
    assert 0 < refused.wait() <= 60


def test_refused_requests_do_not_use_up_the_next_window():
    clock = _Clock(2_000_000 * 60 + 59.0)  # late in a window
    cls = _throttle("2/min", clock)
    assert _hits(cls, 2) == [True, True]
    assert _hits(cls, 20) == [False] * 20  # hammering while refused
    clock.now += 61  # past the end of the next window's start + the previous one's weight
    assert _hits(cls, 2) == [True, True]


def test_previous_window_weighs_on_the_sliding_window():
    start = 3_000_000 * 60
    clock = _Clock(start + 30.0)
    cls = _throttle("4/min", clock)
    assert _hits(cls, 4) == [True] * 4
    clock.now = start + 60 + 15.0  # a quarter into the next window: 4 * 0.75 = 3 still count
    assert _hits(cls, 2) == [True, False]
    clock.now = start + 60 + 45.0  # three quarters in: 4 * 0.25 + 1 = 2 counted
    assert _hits(cls, 2) == [True, True]


def test_clients_are_counted_apart():
    clock = _Clock(4_000_000 * 60 + 5.0)
    cls = _throttle("1/min", clock)
    assert _hits(cls, 2, ip="198.51.100.1") == [True, False]
    assert _hits(cls, 1, ip="198.51.100.2") == [True]


def test_state_is_two_small_integers_not_a_log():
    clock = _Clock(5_000_000 * 60 + 5.0)
    cls = _throttle("1000000/min", clock)
    _hits(cls, 50)
    key = cls().get_cache_key(_request(), None)
    assert cache.get(f"{key}:{5_000_000}") == 50


def test_rest_endpoint_answers_429_with_retry_after(api_client, monkeypatch):
    # DRF binds the rates to the throttle class at import time; patch them there for this test only.
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {**AnonRateThrottle.THROTTLE_RATES, "anon": "2/min"})
    statuses = [api_client.get("/api/v1/meter/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = api_client.get("/api/v1/meter/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert refused.json()["code"] == "throttled"


def test_redis_takes_one_round_trip(monkeypatch):
    from django.core.cache import caches

    from cms.core.cache import TolerantRedisCache, WindowHit

    backend = caches["default"]
    if not isinstance(backend, TolerantRedisCache):
        pytest.skip("the one-round-trip path is Redis's (CI); the in-process cache has no round trips")
    calls = []
    monkeypatch.setattr(backend, "window_hit", lambda *a, **k: calls.append(a) or WindowHit(1, 0))
    clock = _Clock(6_000_000 * 60 + 5.0)
    assert _hits(_throttle("5/min", clock), 1) == [True]
    assert len(calls) == 1


def test_redis_counts_in_one_pipeline_that_django_reads_back(monkeypatch):
    """The counter pipeline (a redis-py client of the backend's own) writes plain integers under Django's keys:
    `cache.get` reads them and `cache.decr` (a refused request) works on them."""
    from django.core.cache import caches
    from redis.client import Pipeline

    from cms.core.cache import TolerantRedisCache, window_counter_hit

    backend = caches["default"]
    if not isinstance(backend, TolerantRedisCache):
        pytest.skip("the pipeline is Redis's (CI)")
    pipelines = []
    real = Pipeline.execute
    monkeypatch.setattr(Pipeline, "execute", lambda self, *a, **k: pipelines.append(1) or real(self, *a, **k))
    cache.set("t:prev", 4)

    assert window_counter_hit("t:cur", "t:prev", timeout=60) == (1, 4)
    assert window_counter_hit("t:cur", "t:prev", timeout=60) == (2, 4)
    assert len(pipelines) == 2
    assert cache.get("t:cur") == 2
    assert cache.decr("t:cur") == 1


def test_an_unreachable_redis_lets_requests_through():
    import socket

    from cms.core.cache import TolerantRedisCache, window_counter_hit

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = TolerantRedisCache(f"redis://127.0.0.1:{port}/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})

    assert window_counter_hit("t:cur", "t:prev", timeout=60, cache=backend) is None
