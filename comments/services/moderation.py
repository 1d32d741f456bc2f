"""Editors' moderation: approve, hide or remove comments (one or in bulk from the admin queue)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cms.core.exceptions import ApplicationError, NotFound, PermissionDenied

from ..errors import CommentErrorCode
from ..models import Comment
from .counter import comment_count_adjust
from .notifications import comment_reply_notify_on_commit


class ModerationAction:
    APPROVE = "approve"
    HIDE = "hide"
    REMOVE = "remove"


_ACTION_STATUS = {
    ModerationAction.APPROVE: Comment.Status.VISIBLE,
    ModerationAction.HIDE: Comment.Status.HIDDEN,
    ModerationAction.REMOVE: Comment.Status.REMOVED,
}


def _check_moderator(moderator) -> None:
    if moderator is None or not moderator.is_active or not moderator.is_staff:
        raise PermissionDenied("Only editors can moderate comments.")
    if not moderator.has_perm("comments.change_comment"):
        raise PermissionDenied("Only editors can moderate comments.")


def comment_moderate(*, comment_id: int, action: str, moderator) -> Comment:
    """Approve, hide or remove one comment. Idempotent: the same action twice changes nothing more."""
    _check_moderator(moderator)
    if action not in _ACTION_STATUS:
        raise ApplicationError(f"Unknown moderation action '{action}'.", code=CommentErrorCode.INVALID, field="action")
    target = _ACTION_STATUS[action]
    with transaction.atomic():
        comment = Comment.objects.select_for_update().filter(pk=comment_id).first()
        if comment is None:
            raise NotFound("Comment not found.")
        if comment.status == target and comment.moderated_at is not None:
            return comment
        was_visible = comment.status == Comment.Status.VISIBLE
        was_pending = comment.status == Comment.Status.PENDING
        comment.status, comment.moderated_by, comment.moderated_at = target, moderator, timezone.now()
        comment.save(update_fields=["status", "moderated_by", "moderated_at", "updated_at"])
        comment_count_adjust(
            article_id=comment.article_id, was_visible=was_visible, is_visible=target == Comment.Status.VISIBLE
        )
        if was_pending and target == Comment.Status.VISIBLE and comment.parent_id is not None:
            comment_reply_notify_on_commit(comment.pk)
    return comment


def comments_moderate(*, comment_ids, action: str, moderator) -> int:
    """Bulk moderation for the admin queue; returns how many comments were processed."""
    _check_moderator(moderator)
    done = 0
    for comment_id in sorted({int(pk) for pk in comment_ids}):
        comment_moderate(comment_id=comment_id, action=action, moderator=moderator)
        done += 1
    return done
