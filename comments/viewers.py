"""The paywall's answer as a `CommentViewer`, for the edges (REST `comments/api/`, GraphQL `comments/graphql/`).

This module is where the comments app meets the paywall, and only the edges import it: the domain (models,
services, selectors, caching, tasks, admin) takes the `CommentViewer` it builds and never asks the paywall itself,
so the arrows keep pointing one way (paywall -> articles, comments; never back).
"""

from __future__ import annotations

from articles.models import Article
from paywall.readers import Reader
from paywall.services import access_decide

from .services.policy import CommentViewer


def comment_viewer_for(*, user, article: Article, reader: Reader | None = None) -> CommentViewer:
    """Ask the paywall (record=False: looking at comments never uses a metered read) who this viewer is."""
    user = user if (user is not None and user.is_authenticated) else None
    reader = Reader(user=user) if user is not None else (reader or Reader())
    decision = access_decide(reader=reader, article=article, record=False)
    return CommentViewer(
        user=user, reader_kind=decision.reader_kind, can_read_article=decision.granted or decision.would_count
    )
