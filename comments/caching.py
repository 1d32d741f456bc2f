"""A page of comment threads, rendered once for every viewer who sees the public view, and cached.

Who sees which comments is decided in `comments.selectors`: a viewer sees the visible comments (and
tombstones that hold visible replies) plus their own pending ones. A viewer with no pending comment on the article
therefore sees exactly what every such viewer sees (`comments_view_is_public`), so that page is rendered once and
kept in the cache; only `is_own` and `editable_until`, which name the viewer, are set per request from the owners
kept beside the page. A viewer with a pending comment of their own gets the page built for them, uncached.

The paywall's and the comment policy's checks still run on every request, before the page is read: this module
only saves the thread queries and the rendering.

Invalidation, without scanning keys: an entry is valid for the content generation (`cms.core.caching`) and the
article's comments stamp it was rendered under. The stamp is bumped after the commit of any saved or deleted
comment of the article, and of a commenter's change of name or deletion of their account
(`comments/signals.py`). The three keys are read in one round trip. Writes that send no signal (a queryset
`update` of a counter that is not shown) can leave a page stale for at most `PAGE_TIMEOUT` seconds.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from cms.core.caching import GENERATION_KEY, PAGE_TIMEOUT, content_generation

from .presenters import comment_editable_until

logger = logging.getLogger(__name__)

STAMP_TIMEOUT = 86_400  # a stamp that expires is recreated newer: its pages only go stale sooner


@dataclass(frozen=True)
class PublicCommentPage:
    data: dict  # the page as the API renders it for a viewer who owns none of its comments
    owners: dict[int, tuple[int, float]]  # comment id -> (author id, created_at as a POSIX timestamp)


def _stamp_key(article_id: int) -> str:
    return f"comments:stamp:{article_id}"


def _page_key(article_id: int, *, host: str, order: str, cursor: str | None, page_size) -> str:
    raw = f"{host}|{order}|{page_size}|{cursor or ''}".encode("utf-8", "surrogateescape")
    return f"comments:page:v1:{article_id}:{hashlib.sha256(raw).hexdigest()[:32]}"


def comment_pages_forget(*, article_id: int) -> None:
    """Make every cached page of this article's comments stale: now, and again after the current transaction
    commits (a page rendered in between, from rows read before the commit, would otherwise be kept under the new
    stamp). A cache outage is logged, never raised: the write that triggered it has happened."""

    def bump() -> None:
        try:
            cache.set(_stamp_key(article_id), time.time_ns(), timeout=STAMP_TIMEOUT)
        except Exception:
            logger.exception("Could not bump the comments stamp of article %s (cache unavailable?)", article_id)

    bump()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(bump)


def _stamp(found: dict, article_id: int) -> int:
    stamp = found.get(_stamp_key(article_id))
    if stamp is None:
        key = _stamp_key(article_id)
        stamp = time.time_ns()
        cache.add(key, stamp, timeout=STAMP_TIMEOUT)
        stamp = cache.get(key, stamp)
    return stamp


def comment_page_public(
    *,
    article_id: int,
    host: str,
    order: str,
    cursor: str | None,
    page_size,
    render: Callable[[], PublicCommentPage],
) -> PublicCommentPage:
    """The public page (see the module docstring): one cache round trip on a hit; `render()` on a miss. `host` is
    part of the key because the page's `next` link is absolute. Exceptions from `render()` (a bad cursor)
    propagate and nothing is cached."""
    page_key = _page_key(article_id, host=host, order=order, cursor=cursor, page_size=page_size)
    found = cache.get_many([GENERATION_KEY, _stamp_key(article_id), page_key])
    version = (found.get(GENERATION_KEY) or content_generation(), _stamp(found, article_id))
    entry = found.get(page_key)
    if entry is not None and entry[0] == version:
        return entry[1]
    page = render()
    cache.set(page_key, (version, page), timeout=PAGE_TIMEOUT)
    return page


def comment_page_for_viewer(page: PublicCommentPage, *, user_id: int | None) -> dict:
    """The public page with `is_own` and `editable_until` set for the viewer's own (visible) comments."""
    if user_id is None or not any(owner == user_id for owner, _ in page.owners.values()):
        return page.data
    now = timezone.now()

    def mark(comments: list[dict]) -> None:
        for comment in comments:
            owner = page.owners.get(comment["id"])
            if owner is not None and owner[0] == user_id:
                comment["is_own"] = True
                created_at = datetime.fromtimestamp(owner[1], tz=UTC)
                comment["editable_until"] = comment_editable_until(created_at=created_at, now=now)
            mark(comment["replies"])

    mark(page.data["results"])
    return page.data


def comment_owners(roots: list) -> dict[int, tuple[int, float]]:
    """Comment id -> (author id, created_at timestamp) over the threads under `roots` (tombstones have no author)."""
    owners: dict[int, tuple[int, float]] = {}
    stack = list(roots)
    while stack:
        comment = stack.pop()
        if comment.author_id is not None:
            owners[comment.pk] = (comment.author_id, comment.created_at.timestamp())
        stack.extend(getattr(comment, "thread_children", ()))
    return owners
