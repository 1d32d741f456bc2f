"""Fixtures for the comments tests: an article of each access level and a way to seed comments directly."""

from __future__ import annotations

import pytest

from articles.models import Article
from comments.models import Comment
from comments.services.posting import _insert
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory


@pytest.fixture
def article(db) -> Article:
    return ArticleFactory(title="Airstrikes in the north", access_level=Article.AccessLevel.METERED)


@pytest.fixture
def premium_article(db) -> Article:
    return ArticleFactory(title="Premium analysis", access_level=Article.AccessLevel.PREMIUM)


@pytest.fixture
def commenter(subscriber):
    subscriber.display_name = "Sam Subscriber"
    subscriber.save(update_fields=["display_name"])
    return subscriber


@pytest.fixture
def seed_comment():
    """seed_comment(article, user, body=..., parent=None, status="visible"): insert without policy/rate checks."""

    def make(article, user, body="A thoughtful comment.", parent=None, status=Comment.Status.VISIBLE):
        return _insert(article=article, user=user, body=body, parent=parent, status=status, reason="")

    return make


@pytest.fixture
def seed_threads(seed_comment):
    """seed_threads(article, n): n threads four deep ("top {i}", then "reply {i}.1" to "reply {i}.3"), by three
    people taking turns."""

    def make(article, n: int) -> None:
        people = [UserFactory(display_name=f"Person {i}") for i in range(3)]
        for i in range(n):
            top = seed_comment(article, people[i % 3], body=f"top {i}")
            r1 = seed_comment(article, people[(i + 1) % 3], body=f"reply {i}.1", parent=top)
            r2 = seed_comment(article, people[(i + 2) % 3], body=f"reply {i}.2", parent=r1)
            seed_comment(article, people[i % 3], body=f"reply {i}.3", parent=r2)

    return make


@pytest.fixture
def viewer_for():
    from comments.viewers import comment_viewer_for

    def make(user, article):
        return comment_viewer_for(user=user, article=article)

    return make
