"""A Redis cache that degrades instead of failing: an outage is a cache miss, never a 500.

Django's `RedisCache` raises `redis.ConnectionError` from every call while Redis is down, and the cache sits under
throttling, the meter policy and the public page cache, so one Redis restart would turn every read into a 500.
Nothing that must be correct lives in the cache (the meter and subscriptions are in PostgreSQL), so
`TolerantRedisCache` logs the error and answers like an empty cache: reads miss, writes are dropped. It is Django's
`RedisCache` as it is, with its public methods wrapped; nothing of Django's private client is replaced.

A short circuit breaker keeps an outage cheap: after a failure the backend skips Redis for `BREAKER_SECONDS`
(per process) instead of paying a connect timeout on every call; the first call after that tries again, so the
service recovers by itself within a couple of seconds of Redis returning.

The throttles' fixed-window counters (`window_counter_hit`) take one round trip (a pipelined INCR, EXPIRE, GET)
through a redis-py client of their own, built with redis-py's public API from the cache's own LOCATION and
OPTIONS: Django's `incr` alone is two round trips (EXISTS, INCRBY), and add + incr + get four.
"""

from __future__ import annotations

import logging
import re
import time
from functools import cached_property
from typing import NamedTuple

import redis
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

BREAKER_SECONDS = 2.0
_NOT_CONNECTION_OPTIONS = ("pool_class", "parser_class", "serializer")  # Django's own OPTIONS, not redis-py's


class _ReusedClient(RedisCacheClient):
    """Django's Redis cache client, keeping one `redis.Redis` per connection pool instead of building one per cache
    call (redis-py copies its table of about 170 response callbacks into each new client: about 700 Python calls a
    warm subscriber detail, a fifth of the request's; bench/RESULTS.md, 2026-12-03 second section). `redis.Redis`
    is thread-safe over its pool. Django's `RedisCacheClient` is not documented API: `get_client` and
    `_get_connection_pool` are pinned by tests/integration/test_tolerant_cache.py on the Django version we lock."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class TolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusedClient
        self._open_until = 0.0
        # the write server (Django writes to the first of a list of servers) and the connection options
        self._counter_url = re.split("[;,]", server)[0] if isinstance(server, str) else server[0]
        options = params.get("OPTIONS", {})
        self._counter_options = {k: v for k, v in options.items() if k not in _NOT_CONNECTION_OPTIONS}

    def _call(self, name: str, fallback, fn):
        if time.monotonic() < self._open_until:
            return fallback
        try:
            return fn()
        except (RedisError, OSError) as exc:
            self._open_until = time.monotonic() + BREAKER_SECONDS
            logger.warning("cache %s failed, treated as a miss for %.0fs: %r", name, BREAKER_SECONDS, exc)
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, lambda: super(TolerantRedisCache, self).add(key, value, timeout, version))

    def get(self, key, default=None, version=None):
        return self._call("get", default, lambda: super(TolerantRedisCache, self).get(key, default, version))

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, lambda: super(TolerantRedisCache, self).set(key, value, timeout, version))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, lambda: super(TolerantRedisCache, self).touch(key, timeout, version))

    def delete(self, key, version=None):
        return self._call("delete", False, lambda: super(TolerantRedisCache, self).delete(key, version))

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, lambda: super(TolerantRedisCache, self).get_many(keys, version))

    def has_key(self, key, version=None):
        return self._call("has_key", False, lambda: super(TolerantRedisCache, self).has_key(key, version))

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._call("incr", missing, lambda: super(TolerantRedisCache, self).incr(key, delta, version))
        if value is missing:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        failed = list(data)
        return self._call("set_many", failed, lambda: super(TolerantRedisCache, self).set_many(data, timeout, version))

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, lambda: super(TolerantRedisCache, self).delete_many(keys, version))

    def clear(self):
        return self._call("clear", False, lambda: super(TolerantRedisCache, self).clear())

    @cached_property
    def _counters(self) -> redis.Redis:
        return redis.Redis.from_url(self._counter_url, **self._counter_options)

    def window_hit(self, current_key: str, previous_key: str, *, timeout: int) -> WindowHit | None:
        """INCR `current_key` (expiring after `timeout`) and read `previous_key`, in one round trip (a pipeline).
        None when Redis is unavailable. The values are plain integers, which Django's `get`/`decr` read as such."""
        current_key, previous_key = self.make_key(current_key), self.make_key(previous_key)

        def hit():
            pipe = self._counters.pipeline(transaction=False)
            pipe.incr(current_key)
            pipe.expire(current_key, timeout)
            pipe.get(previous_key)
            current, _, previous = pipe.execute()
            return WindowHit(int(current), int(previous or 0))

        return self._call("window_hit", None, hit)


class WindowHit(NamedTuple):
    current: int  # hits in the current fixed window, this one included
    previous: int  # hits in the previous window


def window_counter_hit(current_key: str, previous_key: str, *, timeout: int, cache=None) -> WindowHit | None:
    """Count one hit in a fixed-window counter and read the previous window's count, or None when the cache is
    unavailable (callers fail open).

    One Redis round trip with `TolerantRedisCache`; other backends (the embedded default's in-process cache) use
    add + incr + get, which are atomic per key there too. The counter is an integer (never pickled), so Redis-side
    INCR works on it.
    """
    cache = cache or caches["default"]  # the backend itself (django.core.cache.cache is a proxy)
    if isinstance(cache, TolerantRedisCache):
        return cache.window_hit(current_key, previous_key, timeout=timeout)
    for _ in range(2):  # a second try covers a key that expired between add and incr
        cache.add(current_key, 0, timeout=timeout)
        try:
            current = cache.incr(current_key)
        except ValueError:
            continue
        return WindowHit(int(current), int(cache.get(previous_key) or 0))
    return None
