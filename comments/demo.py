"""Demo seeding (`seed_demo`): one subscriber comment and an editor's reply on the reference article."""

from __future__ import annotations

from django.db import transaction

from articles.models import Article

from .models import Comment
from .services.posting import _insert

DEMO_COMMENT = (
    "Good reporting. The part about the supply routes matches what I saw on the ground in 2011: "
    "the border was never really closed."
)
DEMO_REPLY = "Thanks for reading, and for the first-hand detail. We are following up on the supply routes this week."


def demo_comments_ensure(*, article: Article, subscriber, editor) -> tuple[Comment, Comment]:
    """One subscriber comment and an editor's (staff) reply on `article`. Idempotent."""
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
