"""Readers' comments on articles, flags and bans. Rules (policy, moderation, rate limits, the counter) live in
`comments/services/`; reads in `comments/selectors.py`.

The tables were created by the `articles` app and keep their names (`articles_comment`, ...): the move to this app
changed the Django state only (see `comments/migrations/0001_initial.py`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from articles.models import Article
from cms.core.models import TimeStampedModel


def _thread_link(**options) -> models.ForeignKey:
    """A comment's link to another comment of its thread (its parent, its thread's root): empty on a top-level
    comment; deleting that comment deletes this one."""
    return models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, **options)


class Comment(TimeStampedModel):
    """A reader's comment on an article. `body` is plain text (markup kept as text); `body_html` is derived from it
    (escaped, paragraphs, auto-linked URLs with rel="nofollow ugc") by the service, never by a client."""

    class Status(models.TextChoices):
        VISIBLE = "visible"
        PENDING = "pending", "Pending review"
        HIDDEN = "hidden"
        REMOVED = "removed"

    BODY_MAX_LENGTH = 5000

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    parent = _thread_link(related_name="replies")
    root = _thread_link(
        related_name="thread_comments", help_text="The top-level comment of the thread (empty for top-level comments)."
    )
    depth = models.PositiveSmallIntegerField(default=0)
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    body_html = models.TextField(blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VISIBLE, db_index=True)
    moderation_reason = models.CharField(max_length=40, blank=True, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    flag_count = models.PositiveIntegerField(default=0, editable=False)
    is_staff_reply = models.BooleanField(default=False, editable=False)
    idempotency_key = models.CharField(max_length=100, blank=True, editable=False)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    moderated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "articles_comment"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "idempotency_key"],
                name="comment_author_idempotency_unique",
                condition=~Q(idempotency_key=""),
            )
        ]
        indexes = [
            models.Index(fields=["article", "depth", "status", "created_at", "id"], name="comment_article_top_idx"),
            models.Index(fields=["root", "depth", "created_at", "id"], name="comment_thread_idx"),
            models.Index(fields=["author", "created_at"], name="comment_author_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.article_id}"

    @property
    def author_name(self) -> str:
        """The public name: never the email address; "Deleted reader" once the account is gone."""
        if self.author_id is None:
            return "Deleted reader"
        return (self.author.display_name or "").strip() or "Reader"


class PendingComment(Comment):
    """The moderation queue in the admin: pending comments and comments hidden by flags."""

    class Meta:
        proxy = True
        verbose_name = "comment awaiting moderation"
        verbose_name_plural = "moderation queue"


class CommentFlag(models.Model):
    """One reader's report of a comment; at most one per (comment, reader)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_flags")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "articles_commentflag"
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="comment_flag_once_per_reader")]

    def __str__(self) -> str:
        return f"Flag on comment {self.comment_id}"


class CommentBan(TimeStampedModel):
    """A reader barred from commenting until `ends_at` (or for good when empty)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_bans")
    reason = models.CharField(max_length=300, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Leave empty for a permanent ban.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        db_table = "articles_commentban"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "ends_at"], name="comment_ban_user_idx")]

    def __str__(self) -> str:
        return f"Ban of {self.user_id} until {self.ends_at or 'forever'}"
