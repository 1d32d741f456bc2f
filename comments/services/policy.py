"""Who may see and post comments, and what a new or edited text becomes (clean body, HTML, moderation verdict).

`comments` never imports `paywall`: the edges ask `paywall.services.access_decide(record=False)` and hand the
answer in as a `CommentViewer` (`comments/viewers.py` builds it for them). Nothing here checks a subscription.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.html import linebreaks, urlize

from cms.core.exceptions import ApplicationError, PermissionDenied

from ..errors import CommentErrorCode
from ..models import Comment

LOGIN_MESSAGE = "You must become a subscriber or login to view or post comments on this article."
SUBSCRIBE_TO_POST_MESSAGE = (
    "Only subscribers can post comments on this article. Subscribe (or start your free trial) to join the discussion."
)
SUBSCRIBE_TO_SEE_MESSAGE = "Only subscribers can view comments on this article. Subscribe to join the discussion."
ARTICLE_LOCKED_MESSAGE = "Comments are shown to readers who can read this article."

POSTING_KINDS = frozenset({"subscriber", "trial", "staff"})


class ModerationReason:
    BLOCKED_WORD = "blocked_word"
    LINK = "link"
    NEW_AUTHOR = "new_author"
    FLAGS = "flags"


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


def login_required_error() -> ApplicationError:
    return ApplicationError(LOGIN_MESSAGE, code=CommentErrorCode.LOGIN_REQUIRED, status=401)


def comments_check_see(*, viewer: CommentViewer) -> None:
    """Raise unless the viewer may see this article's comments (COMMENTS_SEE_POLICY: anyone | registered |
    subscribers; staff always). Comments of an article the viewer cannot read are never shown."""
    if viewer.is_staff:
        return
    policy = settings.COMMENTS_SEE_POLICY
    if policy != "anyone" and viewer.user is None:
        raise login_required_error()
    if policy == "subscribers" and viewer.reader_kind not in POSTING_KINDS:
        raise PermissionDenied(SUBSCRIBE_TO_SEE_MESSAGE, code=CommentErrorCode.SUBSCRIPTION_REQUIRED)
    if not viewer.can_read_article:
        raise PermissionDenied(ARTICLE_LOCKED_MESSAGE, code=CommentErrorCode.ARTICLE_LOCKED)


def comments_check_post(*, viewer: CommentViewer) -> None:
    """Raise unless the viewer may post (COMMENTS_POST_POLICY: registered | subscribers; trial counts as a
    subscriber; staff always). Anonymous readers never post."""
    if viewer.user is None:
        raise login_required_error()
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


def comment_verdict(*, user, body: str) -> tuple[str, str]:
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
