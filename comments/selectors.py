"""Reads of comments. Visibility is decided here, once: a reader sees visible comments and their own pending ones
(marked pending); hidden and removed comments are never shown, except as content-less tombstones that keep their
visible replies in place.

A page of threads costs two queries whatever its size: the top-level comments (keyset-paginated on
(created_at, id)) and every reply of those threads down to COMMENTS_MAX_DEPTH, both with their authors joined.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from articles.caching import article_detail_snapshot
from articles.models import Article
from cms.core.db.rows import model_columns, rows_load
from cms.core.exceptions import ApplicationError, NotFound

from .errors import CommentErrorCode, whole_number_parse
from .models import Comment

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
ORDERS = ("oldest", "newest")


def comments_visible_q(*, user) -> Q:
    visible = Q(status=Comment.Status.VISIBLE)
    if user is not None and getattr(user, "pk", None) is not None:
        visible |= Q(status=Comment.Status.PENDING, author_id=user.pk)
    return visible


def comments_for(*, user) -> QuerySet[Comment]:
    return Comment.objects.filter(comments_visible_q(user=user)).select_related("author")


def comment_article_get(*, slug: str, base: str) -> Article:
    """The published article whose comments are asked for (drafts have no public comments), as the article detail's
    snapshot holds it (`articles.caching`, URLs on `base`): one cache read when warm, with the byline the paywall's
    authorship rung reads and a live `comment_count` (every comment change forgets the snapshot)."""
    return article_detail_snapshot(slug=slug, base=base).article


def comments_view_is_public(*, article: Article, user) -> bool:
    """Whether `user` sees this article's comments exactly as every viewer without comments of their own awaiting
    moderation does: the only per-viewer rows `comments_visible_q` admits are the viewer's own pending comments."""
    user_id = getattr(user, "pk", None)
    if user_id is None:
        return True
    return not rows_load(Comment, _own_pending_sql(), [article.pk, user_id, Comment.Status.PENDING], fields=_ID)


_ID = frozenset({"id"})


@functools.cache
def _own_pending_sql() -> str:
    """The viewer's own comment awaiting moderation on the article, if any, asked on every signed-in comments page:
    one portable statement loaded by `cms.core.db.rows` (compiling the same `exists()` cost the ORM about as much CPU
    as the rest of a warm page). Identifiers from model metadata, quoted; the values are parameters."""
    meta, q = Comment._meta, connection.ops.quote_name
    article, author, status = (q(meta.get_field(f).column) for f in ("article", "author", "status"))
    return (
        f"SELECT {model_columns(Comment, fields=_ID)} FROM {q(meta.db_table)} "  # noqa: S608
        f"WHERE {article} = %s AND {author} = %s AND {status} = %s LIMIT 1"
    )


def comment_get_any(*, comment_id) -> Comment:
    """A comment with its article and author, whatever its status (the edge then asks for the viewer's rights)."""
    try:
        comment_id = int(comment_id)
    except (TypeError, ValueError):
        raise NotFound("Comment not found.") from None
    comment = (
        Comment.objects.select_related("author", "article").filter(pk=comment_id, article__status="published").first()
    )
    if comment is None:
        raise NotFound("Comment not found.")
    return comment


def comment_get_for(*, comment_id, user) -> Comment:
    """One comment as `user` may see it (visible, or their own pending one), with its replies threaded."""
    comment = comments_for(user=user).select_related("article").filter(pk=comment_id).first()
    if comment is None:
        raise NotFound("Comment not found.")
    comment_threads_attach(roots=[comment], user=user)
    return comment


@dataclass
class CommentPage:
    results: list[Comment]
    next_cursor: str | None
    order: str
    page_size: int
    extra: dict = field(default_factory=dict)


def _cursor_encode(comment: Comment) -> str:
    raw = json.dumps([comment.created_at.isoformat(), comment.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, pk = json.loads(raw)
        created, pk = datetime.fromisoformat(created), int(pk)
        if not 0 < pk < 2**63:
            raise ValueError("id out of range")
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise ApplicationError("Invalid cursor.", code=CommentErrorCode.INVALID, field="cursor") from None
    if timezone.is_naive(created):
        created = timezone.make_aware(created, UTC)
    return created, pk


def _page_size(value) -> int:
    size = whole_number_parse(value, field="page_size", message="Must be a whole number.")
    if size is None:
        return DEFAULT_PAGE_SIZE
    if size < 1:
        raise ApplicationError("Must be a positive integer.", code=CommentErrorCode.INVALID, field="page_size")
    return min(size, MAX_PAGE_SIZE)


TOMBSTONE_STATUSES = (Comment.Status.HIDDEN, Comment.Status.REMOVED)


def _tombstone(comment: Comment) -> Comment:
    """A withdrawn or moderated comment kept only as the place its visible replies hang from: content blanked here,
    in the selector, so no edge can show it. The instance is for display only and is never saved."""
    comment.is_tombstone = True
    comment.status = Comment.Status.REMOVED
    comment.body = ""
    comment.body_html = ""
    comment.author = None
    comment.is_staff_reply = False
    comment.edited_at = None
    return comment


def _shown_or_tombstone(comment: Comment, user) -> Comment:
    if comment.status in TOMBSTONE_STATUSES:
        return _tombstone(comment)
    comment.is_tombstone = False
    return comment


def comment_threads_attach(*, roots: list[Comment], user) -> list[Comment]:
    """Set `thread_children` on every comment of the threads under `roots` (one query) and return the roots that
    remain. A hidden or removed comment with visible replies stays as a tombstone (no body, no author) so the
    replies keep their place; one without visible replies is not shown. Replies under a comment that is pending
    for someone else are not shown."""
    for root in roots:
        root.thread_children = []
        _shown_or_tombstone(root, user)
    if not roots:
        return roots
    by_id: dict[int, Comment] = {c.pk: c for c in roots}
    thread_ids = [c.root_id or c.pk for c in roots]
    min_depth = min(c.depth for c in roots)
    replies = (
        Comment.objects.filter(comments_visible_q(user=user) | Q(status__in=TOMBSTONE_STATUSES))
        .select_related("author")
        .filter(root_id__in=thread_ids, depth__gt=min_depth, depth__lte=settings.COMMENTS_MAX_DEPTH)
        .order_by("depth", "created_at", "id")
    )
    for reply in replies:
        parent = by_id.get(reply.parent_id)
        if parent is None:
            continue
        reply.thread_children = []
        _shown_or_tombstone(reply, user)
        parent.thread_children.append(reply)
        by_id[reply.pk] = reply
    for comment in sorted(by_id.values(), key=lambda c: -c.depth):  # deepest first: prune empty tombstones upwards
        comment.thread_children = [
            child for child in comment.thread_children if child.thread_children or not child.is_tombstone
        ]
        comment.thread_children.sort(key=lambda c: (c.created_at, c.pk))
    return [root for root in roots if root.thread_children or not root.is_tombstone]


def comment_thread_page(
    *, article: Article, user, order: str | None = "oldest", cursor: str | None = None, page_size=None
) -> CommentPage:
    """A page of top-level comments (oldest or newest first), each with its replies threaded to the fixed depth.
    Top-level tombstones (see `comment_threads_attach`) are included only when their thread has visible replies."""
    order = order or "oldest"
    if order not in ORDERS:
        raise ApplicationError("Must be 'oldest' or 'newest'.", code=CommentErrorCode.INVALID, field="order")
    size = _page_size(page_size)
    visible = comments_visible_q(user=user)
    has_visible_reply = Exists(Comment.objects.filter(visible, root_id=OuterRef("pk")))
    qs = (
        Comment.objects.filter(article=article, depth=0)
        .filter(visible | (Q(status__in=TOMBSTONE_STATUSES) & Q(has_visible_reply)))
        .select_related("author")
    )
    if order == "oldest":
        qs = qs.order_by("created_at", "id")
    else:
        qs = qs.order_by("-created_at", "-id")
    if cursor:
        created, pk = _cursor_decode(cursor)
        if order == "oldest":
            qs = qs.filter(Q(created_at__gt=created) | Q(created_at=created, id__gt=pk))
        else:
            qs = qs.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=pk))
    rows = list(qs[: size + 1])
    has_next = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if rows else None
    results = comment_threads_attach(roots=rows, user=user)
    return CommentPage(
        results=results,
        next_cursor=_cursor_encode(last) if has_next and last is not None else None,
        order=order,
        page_size=size,
    )


def comment_moderation_queue_q() -> Q:
    """The queue: pending comments and comments hidden by flags that no editor has reviewed yet."""
    return Q(status=Comment.Status.PENDING) | Q(status=Comment.Status.HIDDEN, moderated_at__isnull=True)


def comment_moderation_queue() -> QuerySet[Comment]:
    """The moderation queue (`comment_moderation_queue_q`), oldest first, with articles and authors."""
    return (
        Comment.objects.filter(comment_moderation_queue_q())
        .select_related("article", "author")
        .order_by("created_at", "id")
    )
