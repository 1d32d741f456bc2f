"""Who is asking (client address behind trusted proxies), brute-force lockout, and DRF throttles.

Lockout counters live in the Django cache (Redis in production, in-process in the embedded default) and are
incremented atomically:

- per account (keyed by the submitted address, whether or not an account exists, so the answer reveals nothing):
  `ACCOUNTS_LOCKOUT_FAILURES` (5) failures within `ACCOUNTS_LOCKOUT_WINDOW` (15 min) lock that address for
  `ACCOUNTS_LOCKOUT_SECONDS` (15 min), the right password included;
- per client address: `ACCOUNTS_IP_FAILURES` (50) failures within `ACCOUNTS_IP_WINDOW` (1 hour) lock the address out
  of every account until the window ends. Other accounts are never locked by one account's failures below that.

`X-Forwarded-For` is read only when the direct peer is in `settings.TRUSTED_PROXIES` (addresses or CIDR ranges).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework import throttling

from cms.core.cache import window_counter_hit

from .addresses import _is_api_key, client_ip

logger = logging.getLogger(__name__)


def _conf(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _carries_api_key(request) -> bool:
    """A valid API key authenticated the request, or (on the public views, which authenticate nobody) its
    `X-Api-Key` header names one."""
    if _is_api_key(request):
        return True
    raw = request.headers.get("X-Api-Key")
    if not raw:
        return False
    from .selectors import api_key_get_active

    return api_key_get_active(raw=raw.strip()) is not None


# --- lockout ------------------------------------------------------------------------------------------------------


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _keys(kind: str, value: str) -> tuple[str, str]:
    d = _digest(value)
    return f"accounts:login-fail:{kind}:{d}", f"accounts:login-lock:{kind}:{d}"


def _incr(key: str, window: int) -> int:
    """Atomic increment of a counter that expires `window` seconds after its first increment."""
    for _ in range(2):  # a second try covers a key that expired between add and incr
        cache.add(key, 0, timeout=window)
        try:
            return cache.incr(key)
        except ValueError:
            continue
    # The cache is unavailable (TolerantRedisCache answers like an empty cache): fail open rather than lock everyone
    # out; the `login` rate throttle and the password hash cost still slow an attacker down.
    logger.warning("login failure counter unavailable for %s", key.rsplit(":", 1)[0])
    return 0


@dataclass(frozen=True)
class Lock:
    retry_after: int  # seconds


def _lock_get(lock_key: str, now: float) -> Lock | None:
    until = cache.get(lock_key)
    if until is None or until <= now:
        return None
    return Lock(retry_after=max(1, math.ceil(until - now)))


def login_lock_get(*, email: str, ip: str) -> Lock | None:
    """The lock that refuses a login attempt for this address from this client, if any."""
    now = time.time()
    return _lock_get(_keys("acct", email)[1], now) or _lock_get(_keys("ip", ip)[1], now)


def login_failure_record(*, email: str, ip: str) -> Lock | None:
    """Count a failed attempt; returns the lock it triggered, if any."""
    now = time.time()
    lock = None
    acct_fail, acct_lock = _keys("acct", email)
    if _incr(acct_fail, _conf("ACCOUNTS_LOCKOUT_WINDOW", 15 * 60)) >= _conf("ACCOUNTS_LOCKOUT_FAILURES", 5):
        seconds = _conf("ACCOUNTS_LOCKOUT_SECONDS", 15 * 60)
        cache.set(acct_lock, now + seconds, timeout=seconds)
        cache.delete(acct_fail)
        lock = Lock(retry_after=seconds)
    ip_fail, ip_lock = _keys("ip", ip)
    ip_window = _conf("ACCOUNTS_IP_WINDOW", 3600)
    if _incr(ip_fail, ip_window) >= _conf("ACCOUNTS_IP_FAILURES", 50):
        cache.set(ip_lock, now + ip_window, timeout=ip_window)
        cache.delete(ip_fail)
        lock = lock or Lock(retry_after=ip_window)
    return lock


def login_success_record(*, email: str) -> None:
    cache.delete(_keys("acct", email)[0])


def login_lock_clear(*, email: str) -> None:
    """Forget failures and lock for an address (after its owner proved control of it, e.g. by a password reset)."""
    cache.delete_many(list(_keys("acct", email)))


# --- DRF throttles ------------------------------------------------------------------------------------------------


class CounterRateThrottle(throttling.SimpleRateThrottle):
    """DRF's rate throttle with a sliding-window *counter* instead of DRF's timestamp log.

    DRF's `SimpleRateThrottle` stores every request's timestamp of the window in one cache entry and rewrites it
    on each request (a get and a set of a pickled list): O(rate) bytes per request, about 1.3 ms at the default
    rates and far more for generous ones. This keeps two integers per client instead, the hits of the current
    fixed window and of the previous one, and estimates the sliding window as
    `previous * (share of the previous window still inside the sliding window) + current` (the approximation
    Cloudflare and nginx-style limiters use: exact at window boundaries, never lets through more than the rate
    over any window by more than the interpolation error). One cache round trip per request
    (`cms.core.cache.window_counter_hit`); a refused request is not counted; a cache outage lets requests through.
    """

    cache_format = "throttle:%(scope)s:%(ident)s"

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = self.duration
        index = int(self.now // window)
        current_key = f"{self.key}:{index}"
        counts = window_counter_hit(current_key, f"{self.key}:{index - 1}", timeout=2 * window)
        if counts is None:
            return True
        current, previous = counts
        elapsed = (self.now % window) / window  # share of the current window gone
        estimate = previous * (1 - elapsed) + current
        if estimate <= self.num_requests:
            return True
        self._wait = self._wait_for(current=current - 1, previous=previous, elapsed=elapsed)
        with contextlib.suppress(ValueError):
            cache.decr(current_key)  # refused requests do not use up the allowance
        return False

    def _wait_for(self, *, current: int, previous: int, elapsed: float) -> float:
        """Seconds until one more request fits: the previous window's weight must shrink enough, or (if the current
        window alone is full) the current window must end."""
        window = self.duration
        room = self.num_requests - 1 - current
        if room < 0 or previous <= 0:
            return window * (1 - elapsed)
        # previous * (1 - e') + current <= num_requests - 1  =>  e' >= 1 - room / previous
        needed = max(0.0, 1 - room / previous)
        return max(0.0, (needed - elapsed) * window) or 1.0

    def wait(self):
        return getattr(self, "_wait", None)


class ClientIpMixin:
    def get_ident(self, request):
        return client_ip(request)


class AnonRateThrottle(ClientIpMixin, CounterRateThrottle, throttling.AnonRateThrottle):
    """DRF's anon throttle keyed by the real client address; requests carrying a valid API key are exempt."""

    def allow_request(self, request, view):
        if _is_api_key(request):
            return True
        return super().allow_request(request, view)


class UserRateThrottle(ClientIpMixin, CounterRateThrottle, throttling.UserRateThrottle):
    """DRF's user throttle, per signed-in user; requests carrying a valid API key are exempt. Anonymous requests are
    left to AnonRateThrottle (DRF would count them here too, by address, under the laxer `user` rate: a second
    cache round trip that could never refuse before the `anon` rate does)."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)

    def allow_request(self, request, view):
        if _is_api_key(request):
            return True
        return super().allow_request(request, view)


class ApiKeyRateThrottle(CounterRateThrottle):
    """The `apikey` rate, per key, for requests authenticated by `X-Api-Key`; no effect on other requests."""

    scope = "apikey"

    def get_cache_key(self, request, view):
        if not _is_api_key(request):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class SearchRateThrottle(ClientIpMixin, CounterRateThrottle):
    """The `search` rate, per reader (signed in) or client address, for list requests that run a full-text search.
    A ranked search can cost hundreds of times a list page, and a distinct query string misses the page cache, so
    without its own rate one client could keep the database busy within the `anon` rate. Requests with a valid API
    key are exempt (server-side frontends search for many readers; the `apikey` rate applies). Cached answers never
    reach a throttle."""

    scope = "search"

    def is_search(self, request) -> bool:
        return bool(request.query_params.get("search"))

    def get_cache_key(self, request, view):
        if not self.is_search(request) or _carries_api_key(request):
            return None
        user = getattr(request, "user", None)
        ident = f"u{user.pk}" if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class GhostRateThrottle(ClientIpMixin, CounterRateThrottle):
    """The `ghost` rate for the Ghost-compatible Content API (`cms/ghost/`), per client address: its routes are
    plain Django views, so they ask this throttle themselves (`allow_request(request, None)`). Its Content API keys
    are public (they ship in frontends), so they identify no one and exempt nothing."""

    scope = "ghost"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginRateThrottle(ClientIpMixin, CounterRateThrottle):
    """The `login` rate per client address (on top of the per-account lockout)."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PasswordResetRateThrottle(LoginRateThrottle):
    """The `login` rate per client address, counted separately for reset requests."""

    cache_format = "throttle:password-reset:%(scope)s:%(ident)s"


class RegisterRateThrottle(LoginRateThrottle):
    """The `register` rate per client address."""

    scope = "register"
