"""The article detail's cached public part (articles/caching.py): edits, unpublishing and comments show at
once, and a warm detail request does not touch the article tables."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from articles.services.articles import article_unpublish
from tests.articles.factories import ArticleFactory, AuthorFactory, TagFactory

pytestmark = pytest.mark.django_db

SECRET = "SECRET-AFTER-BOUNDARY"


def _detail(api_client, article):
    return api_client.get(f"/api/v1/articles/{article.slug}/")


def test_an_edit_shows_at_once_and_changes_the_decision(api_client):
    # given a metered article read once (its snapshot is now cached)
    article = ArticleFactory(title="Before", access_level=Article.AccessLevel.METERED)
    first = _detail(api_client, article).json()
    assert first["title"] == "Before" and first["access"]["granted"] is True
    # when an editor retitles it and makes it premium
    article.title, article.access_level = "After", Article.AccessLevel.PREMIUM
    article.save()
    # then the next reader sees the new title and the premium paywall, with no full body
    fresh = api_client.__class__()
    data = _detail(fresh, article).json()
    assert data["title"] == "After"
    assert (data["access"]["granted"], data["access"]["reason"]) == (False, "premium")
    assert data["body_is_preview"] is True


def test_unpublishing_is_a_404_at_once(api_client):
    article = ArticleFactory()
    assert _detail(api_client, article).status_code == 200
    article_unpublish(article=article)
    assert _detail(api_client, article).status_code == 404


def test_comment_count_follows_comments(api_client, subscriber, django_capture_on_commit_callbacks):
    article = ArticleFactory()
    api_client.force_authenticate(user=subscriber)
    assert _detail(api_client, article).json()["comment_count"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        posted = api_client.post(
            f"/api/v1/articles/{article.slug}/comments/", {"body": "Well reported."}, format="json"
        )
    assert posted.status_code == 201, posted.content
    assert _detail(api_client, article).json()["comment_count"] == 1


def test_a_warm_detail_does_not_query_the_article_tables(api_client):
    article = ArticleFactory(tags=[TagFactory(), TagFactory()], authors=[AuthorFactory(), AuthorFactory()])
    _detail(api_client.__class__(), article)  # warms the snapshot
    with CaptureQueriesContext(connection) as queries:
        response = _detail(api_client, article)  # a new anonymous reader: a counted read
    assert response.json()["access"]["reason"] == "metered"
    touched = [q["sql"] for q in queries.captured_queries if "articles_" in q["sql"]]
    assert touched == []
    if connection.vendor == "postgresql":
        assert len(queries.captured_queries) == 1  # the meter's one round trip


def test_the_cached_instance_never_sends_the_body_to_a_reader_without_access(api_client):
    article = ArticleFactory(access_level=Article.AccessLevel.PREMIUM, body=f"<p>Lead.</p><p>{SECRET}</p>")
    _detail(api_client.__class__(), article)  # warm
    response = _detail(api_client, article)
    assert response.json()["access"]["granted"] is False
    assert SECRET not in response.content.decode()
    assert "articleBody" not in response.json()["json_ld"]


def _redis_trips(monkeypatch) -> list:
    from django.core.cache import caches
    from redis.client import Pipeline, Redis

    from cms.core.cache import TolerantRedisCache

    if not isinstance(caches["default"], TolerantRedisCache):
        pytest.skip("round trips are Redis's (CI); the embedded default's cache is in-process")
    trips = []
    real_command, real_pipeline = Redis.execute_command, Pipeline.execute
    monkeypatch.setattr(
        Redis, "execute_command", lambda self, *a, **k: trips.append(a[0]) or real_command(self, *a, **k)
    )
    monkeypatch.setattr(
        Pipeline, "execute", lambda self, *a, **k: trips.append("pipeline") or real_pipeline(self, *a, **k)
    )
    return trips


def test_a_warm_detail_is_two_redis_round_trips(api_client, monkeypatch):
    """The throttle's counter pipeline, then one read of the content generation and the snapshot together; the
    meter policies are the process's own for that generation (`generation_memo`), so no third read."""
    article = ArticleFactory()
    _detail(api_client.__class__(), article)  # warms the snapshot and the policies
    trips = _redis_trips(monkeypatch)

    response = _detail(api_client.__class__(), article)

    assert response.status_code == 200 and response.json()["access"]["granted"] is True
    assert trips == ["pipeline", "MGET"]


def test_a_policy_saved_by_another_process_applies_at_the_next_detail(api_client):
    """Another process's save drops the shared policies and moves the content generation on (its signal); this
    process's memo was valid for the old generation only."""
    from django.core.cache import cache

    from cms.core.caching import content_generation_bump
    from paywall.models import MeterPolicy
    from paywall.selectors import POLICY_CACHE_KEY

    article = ArticleFactory(access_level=Article.AccessLevel.METERED)
    reader = api_client.__class__()
    assert _detail(reader, article).json()["access"]["limit"] == settings.PAYWALL_ANONYMOUS_DAILY_LIMIT
    MeterPolicy.objects.update_or_create(pk=1)  # (this process's signal: undone below, as if it ran elsewhere)
    MeterPolicy.objects.filter(pk=1).update(anonymous_limit=1)  # no signal here
    cache.delete(POLICY_CACHE_KEY)
    content_generation_bump()

    assert _detail(reader, article).json()["access"]["limit"] == 1


def test_preview_requests_do_not_use_the_public_snapshot(api_client):
    """A draft read with a preview token never goes through the public snapshot (it is not public)."""
    from articles.services.preview import preview_token_create

    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None, title="Draft title")
    token = preview_token_create(article=draft)

    response = api_client.get(f"/api/v1/articles/{draft.slug}/", {"preview": token})

    assert response.status_code == 200 and response.json()["title"] == "Draft title"
