"""Comment writes, one module per concern: `policy` (who may see and post; body, HTML, moderation verdict),
`posting` (post, edit, withdraw, flag), `moderation`, `bans`, `counter` (`Article.comment_count`) and
`notifications` (reply emails, the moderation digest). The public names are re-exported here."""

from .bans import comment_ban_active, comment_ban_create, comment_ban_lift
from .counter import comment_count_recount
from .moderation import ModerationAction, comment_moderate, comments_moderate
from .notifications import comment_digest_send, comment_reply_notify
from .policy import (
    ARTICLE_LOCKED_MESSAGE,
    LOGIN_MESSAGE,
    SUBSCRIBE_TO_POST_MESSAGE,
    SUBSCRIBE_TO_SEE_MESSAGE,
    CommentViewer,
    ModerationReason,
    comment_body_clean,
    comment_render,
    comments_can_post,
    comments_check_post,
    comments_check_see,
)
from .posting import comment_create, comment_delete, comment_edit, comment_flag

__all__ = [
    "ARTICLE_LOCKED_MESSAGE",
    "LOGIN_MESSAGE",
    "SUBSCRIBE_TO_POST_MESSAGE",
    "SUBSCRIBE_TO_SEE_MESSAGE",
    "CommentViewer",
    "ModerationAction",
    "ModerationReason",
    "comment_ban_active",
    "comment_ban_create",
    "comment_ban_lift",
    "comment_body_clean",
    "comment_count_recount",
    "comment_create",
    "comment_delete",
    "comment_digest_send",
    "comment_edit",
    "comment_flag",
    "comment_moderate",
    "comment_reply_notify",
    "comment_render",
    "comments_can_post",
    "comments_check_post",
    "comments_check_see",
    "comments_moderate",
]
