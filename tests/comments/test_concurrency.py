"""`comment_count` and the double-tap guard under real concurrency (threads, separate connections, PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from cms.core.exceptions import NotFound
from comments.models import Comment
from comments.services import CommentViewer, comment_create, comment_flag
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks and real connections"),
]


def _subscriber():
    from tests.paywall.factories import SubscriptionFactory

    user = UserFactory(email_verified_at=timezone.now())
    SubscriptionFactory(user=user, status="active", current_period_end=timezone.now() + timedelta(days=7))
    return user


def _run_all(targets):
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def wrap(fn):
        def run():
            try:
                barrier.wait()
                fn()
            except BaseException as exc:  # noqa: BLE001 - collected and re-raised below
                errors.append(exc)
            finally:
                connections.close_all()

        return run

    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors


def test_comment_count_is_exact_under_concurrent_posts():
    article = ArticleFactory()
    users = [_subscriber() for _ in range(8)]

    def poster(user, n):
        def post():
            viewer = CommentViewer(user=user, reader_kind="subscriber", can_read_article=True)
            for i in range(3):
                comment_create(viewer=viewer, article=article, body=f"comment {n}.{i}")

        return post

    assert _run_all([poster(user, n) for n, user in enumerate(users)]) == []
    article.refresh_from_db()
    assert Comment.objects.filter(article=article).count() == 24
    assert article.comment_count == 24


def test_concurrent_double_tap_posts_once():
    article = ArticleFactory()
    user = _subscriber()
    viewer = CommentViewer(user=user, reader_kind="subscriber", can_read_article=True)
    results = []

    def tap():
        results.append(comment_create(viewer=viewer, article=article, body="double tap", idempotency_key="tap-1"))

    assert _run_all([tap for _ in range(6)]) == []
    assert Comment.objects.filter(article=article).count() == 1
    assert sum(1 for _, created in results if created) == 1
    assert len({c.pk for c, _ in results}) == 1
    article.refresh_from_db()
    assert article.comment_count == 1


def test_concurrent_flags_hide_exactly_once(settings):
    settings.COMMENTS_FLAG_THRESHOLD = 3
    article = ArticleFactory()
    author = _subscriber()
    comment, _ = comment_create(
        viewer=CommentViewer(user=author, reader_kind="subscriber", can_read_article=True), article=article, body="hm"
    )
    flaggers = [UserFactory(email_verified_at=timezone.now()) for _ in range(6)]

    def flag(user):
        return lambda: comment_flag(
            viewer=CommentViewer(user=user, reader_kind="registered", can_read_article=True), comment_id=comment.pk
        )

    errors = _run_all([flag(u) for u in flaggers])
    # flags arriving after the hide find a hidden comment: "not found" for those readers, nothing else
    assert all(isinstance(e, NotFound) for e in errors), errors
    assert len(errors) == 3
    comment.refresh_from_db()
    article.refresh_from_db()
    assert comment.status == "hidden"
    assert comment.flag_count == 3
    assert article.comment_count == 0
