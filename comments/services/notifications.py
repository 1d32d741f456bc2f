"""Comment emails: a reply notification to the author replied to, and the editors' daily moderation digest. Both
go through the outbox with a unique key, so a retried task never sends twice."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cms.core.email import email_enqueue

from ..models import Comment
from ..selectors import comment_moderation_queue


def comment_reply_notify_on_commit(comment_id: int) -> None:
    from ..tasks import comment_reply_notify_task

    transaction.on_commit(lambda: comment_reply_notify_task.delay(comment_id))


def _public_url(path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def comment_reply_notify(*, comment_id: int) -> bool:
    """Email the author of the comment replied to, if they opted in (`notify_replies`) and are not the replier.

    At most one email per thread, recipient and hour: the outbox key is `comment-reply:<thread>:<user>:<hour>`, so
    the second reply in the same hour (or a retried task) sends nothing more. Returns True if an email was queued.
    """
    comment = Comment.objects.select_related("article", "author", "parent__author").filter(pk=comment_id).first()
    if comment is None or comment.status != Comment.Status.VISIBLE or comment.parent_id is None:
        return False
    recipient = comment.parent.author
    if recipient is None or not recipient.is_active or not recipient.notify_replies:
        return False
    if comment.author_id == recipient.pk:
        return False
    thread_id = comment.root_id or comment.parent_id
    hour = int(comment.created_at.timestamp() // 3600)
    key = f"comment-reply:{thread_id}:{recipient.pk}:{hour}"
    email_enqueue(
        to=recipient.email,
        template="comment_reply",
        context={
            "recipient_name": recipient.display_name or "reader",
            "replier_name": comment.author_name,
            "is_staff_reply": comment.is_staff_reply,
            "article_title": comment.article.title,
            "reply_excerpt": comment.body[:500],
            "comment_url": _public_url(f"/{comment.article.slug}/#comment-{comment.pk}"),
        },
        key=key,
    )
    return True


def _moderators():
    """Active staff who may change comments (superusers, or the permission through a group or directly)."""
    perm_ids = list(
        Permission.objects.filter(codename="change_comment", content_type__app_label="comments").values_list(
            "pk", flat=True
        )
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | Q(groups__permissions__in=perm_ids) | Q(user_permissions__in=perm_ids))
        .distinct()
        .order_by("pk")
    )


def comment_digest_send(*, today=None) -> int:
    """Send the daily moderation digest to every editor (who may change comments) when the queue is not empty.
    Idempotent per day and editor (outbox key `comment-digest:<date>:<user>`). Returns the number of emails queued."""
    today = today or timezone.localdate()
    queue = comment_moderation_queue()
    pending = queue.filter(status=Comment.Status.PENDING).count()
    flagged = queue.filter(status=Comment.Status.HIDDEN).count()
    if pending + flagged == 0:
        return 0
    oldest = [
        {"id": c.pk, "article_title": c.article.title, "excerpt": c.body[:140], "reason": c.moderation_reason}
        for c in queue[:10]
    ]
    admin_url = _public_url(reverse("admin:comments_pendingcomment_changelist"))
    sent = 0
    for editor in _moderators():
        email_enqueue(
            to=editor.email,
            template="comment_digest",
            context={
                "pending": pending,
                "flagged": flagged,
                "total": pending + flagged,
                "oldest": oldest,
                "admin_url": admin_url,
                "date": today.isoformat(),
            },
            key=f"comment-digest:{today.isoformat()}:{editor.pk}",
        )
        sent += 1
    return sent
