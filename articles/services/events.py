"""Article lifecycle events, sent after commit to decoupled listeners (outgoing webhooks, cache purge)."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

# Sent with `article_id`, `event` ("article.published" | "article.updated" | "article.unpublished"), `version`.
article_changed = Signal()

# Sent with `article_id` after a commit that changed the article's visible comment count (cache purge only).
article_comments_changed = Signal()

EVENTS = ("article.published", "article.updated", "article.unpublished")


def article_event_emit(*, article, event: str) -> None:
    assert event in EVENTS, event
    article_id, version = article.pk, article.version
    transaction.on_commit(
        lambda: article_changed.send(sender=article.__class__, article_id=article_id, event=event, version=version)
    )


def article_comments_changed_emit(*, article_id: int) -> None:
    transaction.on_commit(lambda: article_comments_changed.send(sender=None, article_id=article_id))
