"""The cache backend treats Redis errors as misses, and its breaker skips Redis for a moment after a failure."""

import time

import pytest
from django.core.cache.backends.redis import RedisCache

from cms.core import cache as tolerant

from .conftest import free_port

pytestmark = pytest.mark.integration


def _unreachable():
    return tolerant.TolerantRedisCache(
        f"redis://127.0.0.1:{free_port()}/0", {"OPTIONS": {"socket_connect_timeout": 0.2}}
    )


def test_an_unreachable_redis_is_an_empty_cache():
    cache = _unreachable()
    assert cache.get("k") is None
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_or_set("k", lambda: 42) == 42
    assert cache.add("k", 1) is False
    cache.set("k", 1)
    cache.delete("k")
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    with pytest.raises(ValueError):
        cache.incr("k")
    assert cache.set_many({"a": 1}) == ["a"]


def test_the_breaker_skips_redis_after_a_failure(monkeypatch):
    cache = _unreachable()
    calls = []
    original = RedisCache.get

    def counting_get(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RedisCache, "get", counting_get)
    cache.get("k")
    cache.get("k")
    cache.get("k")
    assert len(calls) == 1  # the breaker is open after the first failure
    monkeypatch.setattr(tolerant, "BREAKER_SECONDS", 0.0)
    cache._open_until = time.monotonic()
    cache.get("k")
    assert len(calls) == 2  # tried again once the breaker closed


def test_a_live_redis_works_normally(private_redis):
    cache = tolerant.TolerantRedisCache(private_redis.url(3), {})
    cache.set("k", {"v": 1}, 30)
    assert cache.get("k") == {"v": 1}
    assert cache.add("n", 1) is True
    assert cache.incr("n") == 2


def test_one_redis_client_per_pool_is_reused(private_redis):
    """Django builds a `redis.Redis` per cache call; the backend keeps one per connection pool (the figure is in
    bench/RESULTS.md). This pins the Django internals it relies on: the client class hook and `get_client`."""
    cache = tolerant.TolerantRedisCache(private_redis.url(3), {})
    client = cache._cache.get_client(write=True)
    assert client is cache._cache.get_client(write=True)
    assert client is cache._cache.get_client("any-key")  # one server: reads and writes share the pool
    cache.set_many({"a": 1, "b": [2]}, 30)
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "b": [2]}
