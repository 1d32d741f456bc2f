"""Readers' writes: post, edit, withdraw and flag a comment, with the rate limits and the duplicate guard.

Every function takes a `CommentViewer` (the paywall's answer, built at the edge) and asks the policy first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from articles.models import Article
from cms.core.exceptions import ApplicationError, NotFound, PermissionDenied

from ..errors import CommentErrorCode, whole_number_parse
from ..models import Comment, CommentFlag
from .bans import comment_ban_check
from .counter import comment_count_adjust
from .notifications import comment_reply_notify_on_commit
from .policy import (
    CommentViewer,
    ModerationReason,
    comment_body_clean,
    comment_render,
    comment_verdict,
    comments_check_post,
    comments_check_see,
    login_required_error,
)


def _check_rate(user, now: datetime) -> None:
    recent = Comment.objects.filter(author=user, created_at__gte=now - timedelta(days=1))
    per_minute, per_day = settings.COMMENTS_RATE_PER_MINUTE, settings.COMMENTS_RATE_PER_DAY
    if recent.filter(created_at__gte=now - timedelta(minutes=1)).count() >= per_minute:
        raise ApplicationError(
            f"You can post at most {per_minute} comments a minute. Please wait a moment.",
            code=CommentErrorCode.RATE_LIMITED,
            status=429,
            extra={"retry_after": 60},
        )
    if recent.count() >= per_day:
        raise ApplicationError(
            f"You can post at most {per_day} comments a day.",
            code=CommentErrorCode.RATE_LIMITED,
            status=429,
            extra={"retry_after": 3600},
        )


def _lock_user(user) -> None:
    """Serialise one reader's writes (rate limit, duplicate guard): SELECT ... FOR UPDATE on the user row.
    On SQLite the IMMEDIATE transaction already holds the database write lock."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


def _resolve_parent(*, article: Article, parent_id, user) -> Comment | None:
    parent_id = whole_number_parse(parent_id, field="parent", message="Not a comment id.")
    if parent_id is None:
        return None
    visible = Q(status=Comment.Status.VISIBLE) | Q(status=Comment.Status.PENDING, author=user)
    parent = Comment.objects.filter(visible, pk=parent_id, article=article).first()
    if parent is None:
        raise ApplicationError(
            "The comment you reply to does not exist on this article.",
            code=CommentErrorCode.NOT_FOUND,
            field="parent",
        )
    # Threads are kept to COMMENTS_MAX_DEPTH levels of replies: a reply to the deepest level joins it as a sibling.
    while parent.depth >= settings.COMMENTS_MAX_DEPTH and parent.parent_id is not None:
        parent = Comment.objects.get(pk=parent.parent_id)
    return parent


def _insert(*, article: Article, user, body: str, parent: Comment | None, status: str, reason: str, key: str = ""):
    """Write one comment row, count it and notify the parent's author. No policy checks: callers (the services
    below, demo seeding, tests) have decided."""
    comment = Comment.objects.create(
        article=article,
        author=user,
        parent=parent,
        root_id=(parent.root_id or parent.pk) if parent else None,
        depth=(parent.depth + 1) if parent else 0,
        body=body,
        body_html=comment_render(body),
        status=status,
        moderation_reason=reason,
        is_staff_reply=bool(user.is_staff),
        idempotency_key=key,
    )
    comment_count_adjust(article_id=article.pk, was_visible=False, is_visible=status == Comment.Status.VISIBLE)
    if status == Comment.Status.VISIBLE and parent is not None:
        comment_reply_notify_on_commit(comment.pk)
    return comment


def _earlier_post(*, user, article: Article, body: str, key: str, now: datetime) -> Comment | None:
    """The comment a repeated post returns instead of a second one: same idempotency key, or the same text on the
    same article within a minute (not withdrawn)."""
    if key:
        existing = Comment.objects.filter(author=user, idempotency_key=key).first()
        if existing is not None:
            return existing
    return (
        Comment.objects.filter(author=user, article=article, body=body, created_at__gte=now - timedelta(minutes=1))
        .exclude(status=Comment.Status.REMOVED)
        .order_by("created_at", "id")
        .first()
    )


def comment_create(
    *,
    viewer: CommentViewer,
    article: Article,
    body,
    parent_id=None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[Comment, bool]:
    """Post a comment as `viewer.user`. Returns (comment, created).

    The author is always the caller; status, flags and staff marking are decided here. A repeated
    `idempotency_key` from the same reader, or the same body on the same article within a minute, returns the first
    comment with created=False. Locking: the author's user row is locked for the transaction, so a double tap from
    two connections is serialised and cannot post twice or overrun the rate limit.
    """
    comments_check_post(viewer=viewer)
    user = viewer.user
    body = comment_body_clean(body)
    key = (idempotency_key or "").strip()
    if len(key) > 100:
        raise ApplicationError("At most 100 characters.", code=CommentErrorCode.INVALID, field="idempotency_key")
    now = now or timezone.now()
    with transaction.atomic():
        _lock_user(user)
        earlier = _earlier_post(user=user, article=article, body=body, key=key, now=now)
        if earlier is not None:
            return earlier, False
        comment_ban_check(user)
        if not viewer.is_staff:
            _check_rate(user, now)
        parent = _resolve_parent(article=article, parent_id=parent_id, user=user)
        status, reason = comment_verdict(user=user, body=body)
        comment = _insert(article=article, user=user, body=body, parent=parent, status=status, reason=reason, key=key)
    return comment, True


def _own_comment_for_update(*, viewer: CommentViewer, comment_id) -> Comment:
    comment = Comment.objects.select_for_update().filter(pk=comment_id).first()
    user = viewer.user
    if comment is None or user is None:
        raise NotFound("Comment not found.")
    if comment.author_id != user.pk:
        if comment.status != Comment.Status.VISIBLE:
            raise NotFound("Comment not found.")
        raise PermissionDenied("You can only change your own comments.", code=CommentErrorCode.NOT_AUTHOR)
    if comment.status not in (Comment.Status.VISIBLE, Comment.Status.PENDING):
        raise PermissionDenied("This comment can no longer be changed.", code=CommentErrorCode.NOT_EDITABLE)
    window = timedelta(minutes=settings.COMMENTS_EDIT_WINDOW_MINUTES)
    if timezone.now() - comment.created_at > window:
        raise PermissionDenied(
            f"Comments can be changed for {settings.COMMENTS_EDIT_WINDOW_MINUTES} minutes after posting.",
            code=CommentErrorCode.EDIT_WINDOW_CLOSED,
        )
    return comment


def comment_edit(*, viewer: CommentViewer, comment_id, body) -> Comment:
    """Edit one's own comment within the edit window. An edit that adds a blocked word or a link sends a visible
    comment back to review; a pending comment stays pending until an editor approves it."""
    comments_check_post(viewer=viewer)
    body = comment_body_clean(body)
    with transaction.atomic():
        comment = _own_comment_for_update(viewer=viewer, comment_id=comment_id)
        comment_ban_check(viewer.user)
        if body == comment.body:
            return comment
        was_visible = comment.status == Comment.Status.VISIBLE
        status, reason = comment_verdict(user=viewer.user, body=body)
        if was_visible and status == Comment.Status.PENDING:
            comment.status, comment.moderation_reason = status, reason
        comment.body, comment.body_html, comment.edited_at = body, comment_render(body), timezone.now()
        comment.save(update_fields=["body", "body_html", "edited_at", "status", "moderation_reason", "updated_at"])
        comment_count_adjust(
            article_id=comment.article_id, was_visible=was_visible, is_visible=comment.status == Comment.Status.VISIBLE
        )
    return comment


def comment_delete(*, viewer: CommentViewer, comment_id) -> None:
    """Withdraw one's own comment within the edit window (kept as `removed`, so replies keep their thread)."""
    if viewer.user is None:
        raise login_required_error()
    with transaction.atomic():
        comment = _own_comment_for_update(viewer=viewer, comment_id=comment_id)
        was_visible = comment.status == Comment.Status.VISIBLE
        comment.status, comment.moderation_reason = Comment.Status.REMOVED, "author"
        comment.save(update_fields=["status", "moderation_reason", "updated_at"])
        comment_count_adjust(article_id=comment.article_id, was_visible=was_visible, is_visible=False)


def comment_flag(*, viewer: CommentViewer, comment_id, reason: str = "") -> tuple[Comment, bool]:
    """Report a visible comment. Once per reader: a second flag is a no-op (created=False). Reaching
    COMMENTS_FLAG_THRESHOLD flags hides the comment until an editor reviews it; an approval sticks (only crossing
    the threshold hides)."""
    if viewer.user is None:
        raise login_required_error()
    comments_check_see(viewer=viewer)
    user = viewer.user
    with transaction.atomic():
        comment = Comment.objects.select_for_update().filter(pk=comment_id).first()
        already = comment is not None and CommentFlag.objects.filter(comment=comment, user=user).exists()
        if comment is None or comment.status != Comment.Status.VISIBLE:
            if already:
                return comment, False
            raise NotFound("Comment not found.")
        if comment.author_id == user.pk:
            raise ApplicationError("You cannot flag your own comment.", code=CommentErrorCode.OWN_COMMENT)
        if already:
            return comment, False
        CommentFlag.objects.create(comment=comment, user=user, reason=(reason or "")[:200])
        Comment.objects.filter(pk=comment.pk).update(flag_count=F("flag_count") + 1)
        comment.refresh_from_db(fields=["flag_count"])
        if comment.flag_count == settings.COMMENTS_FLAG_THRESHOLD:
            comment.status, comment.moderation_reason = Comment.Status.HIDDEN, ModerationReason.FLAGS
            comment.save(update_fields=["status", "moderation_reason", "updated_at"])
            comment_count_adjust(article_id=comment.article_id, was_visible=True, is_visible=False)
    return comment, True
