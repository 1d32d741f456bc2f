"""Comments: who may see and post, moderation, rate limits, the duplicate guard, flags, bans and the counter.

`articles` never imports `paywall`: the edges (REST `articles/api/comments.py`, GraphQL `articles/graphql/comments.py`)
ask `paywall.services.access_decide(record=False)` and hand the answer in as a `CommentViewer` (the reader's kind and
whether the reader can read the article). Nothing here checks a subscription.

`Article.comment_count` counts visible comments. Every status change goes through `_count_adjust`, an
`UPDATE ... SET comment_count = comment_count +/- 1` in the same transaction as the change, so concurrent posts
never lose an increment (the row lock serialises the updates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.html import linebreaks, urlize

from cms.core.email import email_enqueue
from cms.core.exceptions import ApplicationError, NotFound, PermissionDenied

from ..models import Article, Comment, CommentBan, CommentFlag
from .events import article_comments_changed_emit

LOGIN_MESSAGE = "You must become a subscriber or login to view or post comments on this article."
SUBSCRIBE_TO_POST_MESSAGE = (
    "Only subscribers can post comments on this article. Subscribe (or start your free trial) to join the discussion."
)
SUBSCRIBE_TO_SEE_MESSAGE = "Only subscribers can view comments on this article. Subscribe to join the discussion."
ARTICLE_LOCKED_MESSAGE = "Comments are shown to readers who can read this article."

POSTING_KINDS = frozenset({"subscriber", "trial", "staff"})


class CommentErrorCode:
    LOGIN_REQUIRED = "login_required"
    SUBSCRIPTION_REQUIRED = "subscription_required"
    EMAIL_UNVERIFIED = "email_unverified"
    ARTICLE_LOCKED = "article_locked"
    BANNED = "banned"
    RATE_LIMITED = "rate_limited"
    NOT_AUTHOR = "not_author"
    EDIT_WINDOW_CLOSED = "edit_window_closed"
    NOT_EDITABLE = "not_editable"
    OWN_COMMENT = "own_comment"
    REQUIRED = "required"
    TOO_LONG = "too_long"
    INVALID = "invalid"


class ModerationReason:
    BLOCKED_WORD = "blocked_word"
    LINK = "link"
    NEW_AUTHOR = "new_author"
    FLAGS = "flags"


class ModerationAction:
    APPROVE = "approve"
    HIDE = "hide"
    REMOVE = "remove"


_ACTION_STATUS = {
    ModerationAction.APPROVE: Comment.Status.VISIBLE,
    ModerationAction.HIDE: Comment.Status.HIDDEN,
    ModerationAction.REMOVE: Comment.Status.REMOVED,
}


@dataclass(frozen=True)
class CommentViewer:
    """Who is looking at the comments of one article, as decided by the paywall at the edge.

    `reader_kind`: anonymous | registered | trial | subscriber | staff (AccessDecision.reader_kind).
    `can_read_article`: the paywall would show this reader the article (granted, or a read still available).
    """

    user: object | None
    reader_kind: str
    can_read_article: bool

    @property
    def is_staff(self) -> bool:
        return self.reader_kind == "staff" or bool(self.user is not None and self.user.is_staff)


# --- policy -----------------------------------------------------------------------------------------------------------


def comments_check_see(*, viewer: CommentViewer) -> None:
    """Raise unless the viewer may see this article's comments (COMMENTS_SEE_POLICY: anyone | registered |
    subscribers; staff always). Comments of an article the viewer cannot read are never shown."""
    if viewer.is_staff:
        return
    policy = settings.COMMENTS_SEE_POLICY
    if policy != "anyone" and viewer.user is None:
        raise ApplicationError(LOGIN_MESSAGE, code=CommentErrorCode.LOGIN_REQUIRED, status=401)
    if policy == "subscribers" and viewer.reader_kind not in POSTING_KINDS:
        raise PermissionDenied(SUBSCRIBE_TO_SEE_MESSAGE, code=CommentErrorCode.SUBSCRIPTION_REQUIRED)
    if not viewer.can_read_article:
        raise PermissionDenied(ARTICLE_LOCKED_MESSAGE, code=CommentErrorCode.ARTICLE_LOCKED)


def comments_check_post(*, viewer: CommentViewer) -> None:
    """Raise unless the viewer may post (COMMENTS_POST_POLICY: registered | subscribers; trial counts as a
    subscriber; staff always). Anonymous readers never post."""
    if viewer.user is None:
        raise ApplicationError(LOGIN_MESSAGE, code=CommentErrorCode.LOGIN_REQUIRED, status=401)
    comments_check_see(viewer=viewer)
    if viewer.is_staff:
        return
    if settings.COMMENTS_POST_POLICY != "registered" and viewer.reader_kind not in POSTING_KINDS:
        raise PermissionDenied(SUBSCRIBE_TO_POST_MESSAGE, code=CommentErrorCode.SUBSCRIPTION_REQUIRED)
    if getattr(viewer.user, "email_verified_at", None) is None:
        raise PermissionDenied(
            "Confirm your email address to post comments: follow the link we sent you.",
            code=CommentErrorCode.EMAIL_UNVERIFIED,
            field="email",
        )


def comments_can_post(*, viewer: CommentViewer) -> bool:
    try:
        comments_check_post(viewer=viewer)
    except ApplicationError:
        return False
    return True


# --- text -------------------------------------------------------------------------------------------------------------


def comment_body_clean(body) -> str:
    """Validate the plain-text body: required, at most 5,000 characters, no NUL bytes; markup is kept as text."""
    if not isinstance(body, str):
        raise ApplicationError("The comment must be text.", code=CommentErrorCode.INVALID, field="body")
    body = body.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        raise ApplicationError("The comment cannot be empty.", code=CommentErrorCode.REQUIRED, field="body")
    if len(body) > Comment.BODY_MAX_LENGTH:
        raise ApplicationError(
            f"A comment can have at most {Comment.BODY_MAX_LENGTH} characters (it has {len(body)}).",
            code=CommentErrorCode.TOO_LONG,
            field="body",
        )
    return body


def comment_render(body: str) -> str:
    """Plain text to safe HTML: everything escaped, blank lines to paragraphs, URLs to rel="nofollow ugc" links.

    `urlize(autoescape=True)` escapes the reader's text itself, so a literal `<a href=` typed by a reader arrives as
    `&lt;a href=`; only the anchors urlize generated get the rel attribute.
    """
    linked = urlize(body, trim_url_limit=80, nofollow=False, autoescape=True)
    linked = linked.replace("<a href=", '<a rel="nofollow ugc" href=')
    return linebreaks(linked, autoescape=False)


def _has_link(body: str) -> bool:
    return "<a " in urlize(body, autoescape=True)


def _blocked_word(body: str) -> str | None:
    for word in settings.COMMENTS_BLOCKED_WORDS:
        word = word.strip()
        if word and re.search(rf"(?<!\w){re.escape(word)}(?!\w)", body, flags=re.IGNORECASE):
            return word
    return None


def _verdict(*, user, body: str) -> tuple[str, str]:
    """(status, moderation_reason) for a new or edited comment by `user`."""
    if user.is_staff:
        return Comment.Status.VISIBLE, ""
    if _blocked_word(body):
        return Comment.Status.PENDING, ModerationReason.BLOCKED_WORD
    if settings.COMMENTS_HOLD_LINKS and _has_link(body):
        return Comment.Status.PENDING, ModerationReason.LINK
    minimum = settings.COMMENTS_MIN_APPROVED
    if minimum > 0:
        approved = Comment.objects.filter(author=user, status=Comment.Status.VISIBLE).count()
        if approved < minimum:
            return Comment.Status.PENDING, ModerationReason.NEW_AUTHOR
    return Comment.Status.VISIBLE, ""


# --- counter ----------------------------------------------------------------------------------------------------------


def _count_adjust(*, article_id: int, was_visible: bool, is_visible: bool) -> None:
    if was_visible == is_visible:
        return
    delta = 1 if is_visible else -1
    Article.objects.filter(pk=article_id).update(comment_count=Greatest(F("comment_count") + delta, 0))
    article_comments_changed_emit(article_id=article_id)


def comment_count_recount(*, article_id: int) -> int:
    """Repair `comment_count` from the rows. Locks the article row first, so a concurrent post's increment lands
    after the recount (which did not see its uncommitted row) and the result stays exact."""
    with transaction.atomic():
        Article.objects.select_for_update().filter(pk=article_id).values_list("pk", flat=True).first()
        count = Comment.objects.filter(article_id=article_id, status=Comment.Status.VISIBLE).count()
        Article.objects.filter(pk=article_id).update(comment_count=count)
        article_comments_changed_emit(article_id=article_id)
    return count


# --- bans -------------------------------------------------------------------------------------------------------------


def comment_ban_active(*, user, now: datetime | None = None) -> CommentBan | None:
    now = now or timezone.now()
    return (
        CommentBan.objects.filter(user=user)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by(F("ends_at").desc(nulls_first=True))
        .first()
    )


def comment_ban_create(*, user, by=None, ends_at: datetime | None = None, reason: str = "") -> CommentBan:
    """Bar `user` from commenting until `ends_at` (None: for good). Staff cannot be banned."""
    if ends_at is not None and ends_at <= timezone.now():
        raise ApplicationError(
            "The end of a ban must be in the future.", code=CommentErrorCode.INVALID, field="ends_at"
        )
    if user.is_staff:
        raise ApplicationError("Staff members cannot be banned from commenting.", code=CommentErrorCode.INVALID)
    return CommentBan.objects.create(user=user, created_by=by, ends_at=ends_at, reason=reason[:300])


def comment_ban_lift(*, ban_id: int) -> int:
    """End a ban now. Idempotent: an ended ban stays ended."""
    now = timezone.now()
    return CommentBan.objects.filter(pk=ban_id).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now)).update(ends_at=now)


def _check_not_banned(user) -> None:
    ban = comment_ban_active(user=user)
    if ban is not None:
        until = f" until {ban.ends_at:%Y-%m-%d %H:%M} UTC" if ban.ends_at else ""
        raise PermissionDenied(f"You are not allowed to comment{until}.", code=CommentErrorCode.BANNED)


# --- posting ----------------------------------------------------------------------------------------------------------


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
    if parent_id in (None, ""):
        return None
    try:
        parent_id = int(parent_id)
    except (TypeError, ValueError):
        raise ApplicationError("Not a comment id.", code=CommentErrorCode.INVALID, field="parent") from None
    visible = Q(status=Comment.Status.VISIBLE) | Q(status=Comment.Status.PENDING, author=user)
    parent = Comment.objects.filter(visible, pk=parent_id, article=article).first()
    if parent is None:
        raise ApplicationError(
            "The comment you reply to does not exist on this article.", code="not_found", field="parent"
        )
    # Threads are kept to COMMENTS_MAX_DEPTH levels of replies: a reply to the deepest level joins it as a sibling.
    while parent.depth >= settings.COMMENTS_MAX_DEPTH and parent.parent_id is not None:
        parent = Comment.objects.get(pk=parent.parent_id)
    return parent


def _insert(*, article: Article, user, body: str, parent: Comment | None, status: str, reason: str, key: str = ""):
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
    _count_adjust(article_id=article.pk, was_visible=False, is_visible=status == Comment.Status.VISIBLE)
    if status == Comment.Status.VISIBLE and parent is not None:
        _reply_notify_on_commit(comment.pk)
    return comment


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
        if key:
            existing = Comment.objects.filter(author=user, idempotency_key=key).first()
            if existing is not None:
                return existing, False
        duplicate = (
            Comment.objects.filter(author=user, article=article, body=body, created_at__gte=now - timedelta(minutes=1))
            .exclude(status=Comment.Status.REMOVED)
            .order_by("created_at", "id")
            .first()
        )
        if duplicate is not None:
            return duplicate, False
        _check_not_banned(user)
        if not viewer.is_staff:
            _check_rate(user, now)
        parent = _resolve_parent(article=article, parent_id=parent_id, user=user)
        status, reason = _verdict(user=user, body=body)
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
        _check_not_banned(viewer.user)
        if body == comment.body:
            return comment
        was_visible = comment.status == Comment.Status.VISIBLE
        status, reason = _verdict(user=viewer.user, body=body)
        if was_visible and status == Comment.Status.PENDING:
            comment.status, comment.moderation_reason = status, reason
        comment.body, comment.body_html, comment.edited_at = body, comment_render(body), timezone.now()
        comment.save(update_fields=["body", "body_html", "edited_at", "status", "moderation_reason", "updated_at"])
        _count_adjust(
            article_id=comment.article_id, was_visible=was_visible, is_visible=comment.status == Comment.Status.VISIBLE
        )
    return comment


def comment_delete(*, viewer: CommentViewer, comment_id) -> None:
    """Withdraw one's own comment within the edit window (kept as `removed`, so replies keep their thread)."""
    if viewer.user is None:
        raise ApplicationError(LOGIN_MESSAGE, code=CommentErrorCode.LOGIN_REQUIRED, status=401)
    with transaction.atomic():
        comment = _own_comment_for_update(viewer=viewer, comment_id=comment_id)
        was_visible = comment.status == Comment.Status.VISIBLE
        comment.status, comment.moderation_reason = Comment.Status.REMOVED, "author"
        comment.save(update_fields=["status", "moderation_reason", "updated_at"])
        _count_adjust(article_id=comment.article_id, was_visible=was_visible, is_visible=False)


def comment_flag(*, viewer: CommentViewer, comment_id, reason: str = "") -> tuple[Comment, bool]:
    """Report a visible comment. Once per reader: a second flag is a no-op (created=False). Reaching
    COMMENTS_FLAG_THRESHOLD flags hides the comment until an editor reviews it; an approval sticks (only crossing
    the threshold hides)."""
    if viewer.user is None:
        raise ApplicationError(LOGIN_MESSAGE, code=CommentErrorCode.LOGIN_REQUIRED, status=401)
    comments_check_see(viewer=viewer)
    user = viewer.user
    with transaction.atomic():
        comment = Comment.objects.select_for_update().filter(pk=comment_id).first()
        if comment is None or comment.status != Comment.Status.VISIBLE:
            if comment is not None and CommentFlag.objects.filter(comment=comment, user=user).exists():
                return comment, False
            raise NotFound("Comment not found.")
        if comment.author_id == user.pk:
            raise ApplicationError("You cannot flag your own comment.", code=CommentErrorCode.OWN_COMMENT)
        if CommentFlag.objects.filter(comment=comment, user=user).exists():
            return comment, False
        CommentFlag.objects.create(comment=comment, user=user, reason=(reason or "")[:200])
        Comment.objects.filter(pk=comment.pk).update(flag_count=F("flag_count") + 1)
        comment.refresh_from_db(fields=["flag_count"])
        if comment.flag_count == settings.COMMENTS_FLAG_THRESHOLD:
            comment.status, comment.moderation_reason = Comment.Status.HIDDEN, ModerationReason.FLAGS
            comment.save(update_fields=["status", "moderation_reason", "updated_at"])
            _count_adjust(article_id=comment.article_id, was_visible=True, is_visible=False)
    return comment, True


# --- moderation -------------------------------------------------------------------------------------------------------


def _check_moderator(moderator) -> None:
    if moderator is None or not moderator.is_active or not moderator.is_staff:
        raise PermissionDenied("Only editors can moderate comments.")
    if not moderator.has_perm("articles.change_comment"):
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
        _count_adjust(
            article_id=comment.article_id, was_visible=was_visible, is_visible=target == Comment.Status.VISIBLE
        )
        if was_pending and target == Comment.Status.VISIBLE and comment.parent_id is not None:
            _reply_notify_on_commit(comment.pk)
    return comment


def comments_moderate(*, comment_ids, action: str, moderator) -> int:
    """Bulk moderation for the admin queue; returns how many comments were processed."""
    _check_moderator(moderator)
    done = 0
    for comment_id in sorted({int(pk) for pk in comment_ids}):
        comment_moderate(comment_id=comment_id, action=action, moderator=moderator)
        done += 1
    return done


# --- emails -----------------------------------------------------------------------------------------------------------


def _reply_notify_on_commit(comment_id: int) -> None:
    from ..tasks import comment_reply_notify_task

    transaction.on_commit(lambda: comment_reply_notify_task.delay(comment_id))


def comment_url(comment: Comment) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/{comment.article.slug}/#comment-{comment.pk}"


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
            "comment_url": comment_url(comment),
        },
        key=key,
    )
    return True


def comment_moderation_queue_q() -> Q:
    """The queue: pending comments and comments hidden by flags that no editor has reviewed yet."""
    return Q(status=Comment.Status.PENDING) | Q(status=Comment.Status.HIDDEN, moderated_at__isnull=True)


def comment_digest_send(*, today=None) -> int:
    """Send the daily moderation digest to every editor (who may change comments) when the queue is not empty.
    Idempotent per day and editor (outbox key `comment-digest:<date>:<user>`). Returns the number of emails queued."""
    today = today or timezone.localdate()
    queue = Comment.objects.filter(comment_moderation_queue_q())
    pending = queue.filter(status=Comment.Status.PENDING).count()
    flagged = queue.filter(status=Comment.Status.HIDDEN).count()
    if pending + flagged == 0:
        return 0
    oldest = [
        {"id": c.pk, "article_title": c.article.title, "excerpt": c.body[:140], "reason": c.moderation_reason}
        for c in queue.select_related("article").order_by("created_at", "id")[:10]
    ]
    perm = Q(codename="change_comment", content_type__app_label="articles")
    from django.contrib.auth.models import Permission

    perm_ids = list(Permission.objects.filter(perm).values_list("pk", flat=True))
    editors = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | Q(groups__permissions__in=perm_ids) | Q(user_permissions__in=perm_ids))
        .distinct()
        .order_by("pk")
    )
    admin_url = f"{settings.PUBLIC_BASE_URL.rstrip('/')}/admin/articles/pendingcomment/"
    sent = 0
    for editor in editors:
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


# --- demo -------------------------------------------------------------------------------------------------------------

DEMO_COMMENT = (
    "Good reporting. The part about the supply routes matches what I saw on the ground in 2011: "
    "the border was never really closed."
)
DEMO_REPLY = "Thanks for reading, and for the first-hand detail. We are following up on the supply routes this week."


def demo_comments_ensure(*, article: Article, subscriber, editor) -> tuple[Comment, Comment]:
    """For seed_demo: one subscriber comment and an editor's (staff) reply on `article`. Idempotent."""
    with transaction.atomic():
        comment = Comment.objects.filter(article=article, author=subscriber, body=DEMO_COMMENT, depth=0).first()
        if comment is None:
            comment = _insert(
                article=article,
                user=subscriber,
                body=DEMO_COMMENT,
                parent=None,
                status=Comment.Status.VISIBLE,
                reason="",
            )
        reply = Comment.objects.filter(article=article, author=editor, parent=comment, body=DEMO_REPLY).first()
        if reply is None:
            reply = _insert(
                article=article, user=editor, body=DEMO_REPLY, parent=comment, status=Comment.Status.VISIBLE, reason=""
            )
    return comment, reply
