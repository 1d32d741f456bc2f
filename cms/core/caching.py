"""Public, CDN-friendly responses for content that is the same for everyone (lists, sections, tags, authors,
feeds, sitemaps).

Rendered responses are kept in the Django cache together with the *content generation* they were rendered in: a
number bumped whenever public content changes (the `article_changed` receiver and saves of sections/tags/authors call
`content_generation_bump`). Bumping purges every cached page at once without scanning keys. The generation is
also a timestamp (nanoseconds of the bump), which gives an honest `Last-Modified`.

Every public response carries a strong `ETag` (hash of the body), `Last-Modified` and
`Cache-Control: public, max-age=60, s-maxage=300`; `If-None-Match` / `If-Modified-Since` answer 304. These views
never authenticate, read the reader or set cookies, so `Vary` stays minimal.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

logger = logging.getLogger(__name__)

GENERATION_KEY = "content:generation"
PUBLIC_CACHE_CONTROL = "public, max-age=60, s-maxage=300"
PAGE_TIMEOUT = 300  # also bounds staleness from writes that send no signal (e.g. queryset.update of counters)


def content_generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = time.time_ns()
        cache.add(GENERATION_KEY, generation, timeout=None)
        generation = cache.get(GENERATION_KEY, generation)
    return generation


def content_generation_bump(**_kwargs) -> int | None:
    """Invalidate every cached public page (idempotent enough to call from any signal receiver). A cache outage
    is logged, never raised: the write that triggered the purge has already happened."""
    try:
        generation = max(time.time_ns(), (cache.get(GENERATION_KEY) or 0) + 1)
        cache.set(GENERATION_KEY, generation, timeout=None)
    except Exception:
        logger.exception("Could not bump the content generation (cache unavailable?)")
        return None
    return generation


def generation_get(key: str) -> tuple[int, object | None]:
    """(current content generation, the value stored under `key` for it or None): one cache round trip on a hit
    (the generation and the entry are read together)."""
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    if generation is None:
        generation = content_generation()
    scope = _request_scope.get()
    if scope is not None:
        scope.setdefault("generation", generation)
    entry = found.get(key)
    if entry is not None and entry[0] == generation:
        return generation, entry[1]
    return generation, None


_request_scope: ContextVar[dict | None] = ContextVar("masthead_content_generation_scope", default=None)
_memo: dict[str, tuple[int, float, object]] = {}
MEMO_SECONDS = 60  # a memoised value is rebuilt at least this often, whatever the generation says


class ContentGenerationScope:
    """Middleware: for the length of one request, remember the content generation the request read (its first
    `generation_get`: the detail snapshot, a public page), so `generation_memo` can validate a process-local value
    against it without another cache round trip. Outside a request (tasks, shells, threads) nothing is remembered
    and `generation_memo` always builds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_scope.set({})
        try:
            return self.get_response(request)
        finally:
            _request_scope.reset(token)


def generation_memo(key: str, build: Callable[[], object]):
    """`build()`, kept in this process for the content generation the current request has read (or None: build).

    For small, rarely changed values that every reader's request needs (the meter policies, the plans the paywall
    offers): a change to them bumps the content generation (after it dropped their shared cache entry), so the next
    request of every process, whose snapshot or page read sees the new generation, rebuilds them. A value is also
    rebuilt after MEMO_SECONDS, so nothing outlives a change by more than that even without a bump."""
    scope = _request_scope.get()
    generation = scope.get("generation") if scope is not None else None
    if generation is None:
        return build()
    now = time.monotonic()
    entry = _memo.get(key)
    if entry is not None and entry[0] == generation and now - entry[1] < MEMO_SECONDS:
        return entry[2]
    value = build()
    _memo[key] = (generation, now, value)
    return value


def generation_forget(key: str) -> None:
    """Drop the shared cache entry `key` of a `generation_memo` value, then move the content generation on so every
    process lets its memo go: now, and again when the current transaction commits (a rebuild in between would
    have read the old rows). A cache outage is logged, never raised (the write has happened)."""

    def purge() -> None:
        try:
            cache.delete(key)
        except Exception:
            logger.exception("Could not drop %s from the cache (cache unavailable?)", key)
        content_generation_bump()

    purge()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(purge)


def generation_set(key: str, generation: int, value, *, timeout: int = PAGE_TIMEOUT) -> None:
    """Store `value` under `key` for `generation` (read with generation_get BEFORE computing the value, so a bump
    during the computation only makes the entry stale sooner)."""
    cache.set(key, (generation, value), timeout=timeout)


def _page_key(request) -> str:
    raw = f"{request.get_host()}|{request.path}|{request.META.get('QUERY_STRING', '')}"
    return f"public:{hashlib.sha256(raw.encode('utf-8', 'surrogateescape')).hexdigest()}"


def public_cached(request, render: Callable[[], HttpResponse]) -> HttpResponse:
    """Serve `render()`'s 200 answer from the cache (keyed by path and query, valid for the content generation it
    was rendered in: one cache round trip on a hit), with ETag/Last-Modified/Cache-Control, answering conditional
    requests with 304. Non-200 answers are not cached."""
    if request.method not in ("GET", "HEAD"):
        return render()
    key = _page_key(request)
    try:
        generation, entry = generation_get(key)
    except Exception:  # the cache is down: serve uncached rather than fail
        logger.warning("Public page cache unavailable; rendering without it", exc_info=True)
        generation, key, entry = time.time_ns(), None, None
    if entry is None:
        response = render()
        if response.status_code != 200:
            return response
        if hasattr(response, "render") and callable(response.render):
            response.render()
        content = bytes(response.content)
        entry = {
            "content": content,
            "content_type": response.get("Content-Type", "application/json"),
            "etag": '"' + hashlib.sha256(content).hexdigest()[:40] + '"',
            "last_modified": generation // 1_000_000_000,
        }
        if key is not None:
            try:
                generation_set(key, generation, entry)
            except Exception:
                logger.warning("Could not store a public page in the cache", exc_info=True)
    response = HttpResponse(entry["content"], content_type=entry["content_type"])
    response["ETag"] = entry["etag"]
    response["Last-Modified"] = http_date(entry["last_modified"])
    response["Cache-Control"] = PUBLIC_CACHE_CONTROL
    conditional = get_conditional_response(
        request, etag=entry["etag"], last_modified=entry["last_modified"], response=response
    )
    return conditional


class PublicCacheMixin:
    """For DRF views whose answer is the same for everyone: no authentication (so no session or cookie is read),
    cached rendering, ETag/304 and a CDN-usable Cache-Control."""

    authentication_classes: tuple = ()

    def dispatch(self, request, *args, **kwargs):
        return public_cached(request, lambda: super(PublicCacheMixin, self).dispatch(request, *args, **kwargs))


def public_cache_page(view):
    """The same for plain Django views (feeds, sitemaps)."""

    def wrapped(request, *args, **kwargs):
        return public_cached(request, lambda: view(request, *args, **kwargs))

    wrapped.__name__ = getattr(view, "__name__", "public_view")
    wrapped.__doc__ = view.__doc__
    return wrapped
