"""`Article.comment_count` counts visible comments. Every status change goes through `comment_count_adjust`, an
`UPDATE ... SET comment_count = comment_count +/- 1` in the same transaction as the change, so concurrent posts
never lose an increment (the row lock serialises the updates)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest

from articles.models import Article
from articles.services.events import article_comments_changed_emit

from ..models import Comment


def comment_count_adjust(*, article_id: int, was_visible: bool, is_visible: bool) -> None:
    """Count a comment in or out of its article's visible comments. Call inside the transaction of the change."""
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
