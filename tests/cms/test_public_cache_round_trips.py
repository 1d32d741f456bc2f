"""A cached public page is served with one cache read (the generation and the page together), and a content
change retires it at once."""

import pytest
from django.core.cache import cache

from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_a_cached_page_costs_one_cache_read_and_a_change_retires_it(api_client, monkeypatch):
    article = ArticleFactory(title="Before")
    assert api_client.get("/api/v1/articles/").json()["results"][0]["title"] == "Before"  # renders and stores
    reads, depth = [], [0]

    def counting(name, original):
        def call(*args, **kwargs):
            if not depth[0]:  # the in-process cache's get_many calls get itself: count the outer call only
                reads.append(name)
            depth[0] += 1
            try:
                return original(*args, **kwargs)
            finally:
                depth[0] -= 1

        return call

    for name in ("get", "get_many"):
        monkeypatch.setattr(cache, name, counting(name, getattr(cache, name)))
    assert api_client.get("/api/v1/articles/").status_code == 200
    assert reads == ["get_many"]
    article.title = "After"
    article.save()
    assert api_client.get("/api/v1/articles/").json()["results"][0]["title"] == "After"
