"""articles/presenters.py: one function per shape, so REST and GraphQL say the same thing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rest_framework import serializers

from articles.models import Article
from articles.presenters import datetime_representation
from tests.articles.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "value",
    [
        None,
        datetime(2026, 1, 15, 12, 30, 5, 123456, tzinfo=UTC),  # winter: -05:00 in the publisher's zone
        datetime(2026, 7, 4, 0, 0, tzinfo=UTC),  # summer: -04:00
    ],
)
@pytest.mark.parametrize("time_zone", ["America/New_York", "UTC"])
def test_datetimes_render_as_drf_renders_them(value, time_zone, settings):
    settings.TIME_ZONE = time_zone
    expected = serializers.DateTimeField().to_representation(value) if value is not None else None
    assert datetime_representation(value) == expected


def test_rest_and_graphql_agree_on_the_shared_values(api_client, graphql_client):
    # given an article whose SEO fields are empty (fallbacks) and an author with odd stored links
    author = AuthorFactory(slug="odd", links=[{"label": "Site", "url": "https://odd.example", "x": 1}, "junk", 3])
    ArticleFactory(
        slug="story", seo_title="", seo_description="", authors=[author], access_level=Article.AccessLevel.FREE
    )
    # when both APIs are asked
    rest = api_client.get("/api/v1/articles/story/").json()
    rest_author = api_client.get("/api/v1/authors/odd/").json()
    query = """{ article(slug: "story") { url seo { title description } source { name url } jsonLd }
                 author(slug: "odd") { avatar links { label url } } }"""
    data = graphql_client(query).json_body["data"]
    # then they say the same
    assert data["article"]["seo"] == rest["seo"] == {"title": rest["title"], "description": rest["dek"]}
    assert data["article"]["source"] == rest["source"]
    assert data["article"]["url"] == rest["url"]
    assert data["article"]["jsonLd"] == rest["json_ld"]
    assert data["author"]["links"] == rest_author["links"] == [{"label": "Site", "url": "https://odd.example"}]
    assert data["author"]["avatar"] == rest_author["avatar"]
