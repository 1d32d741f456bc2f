"""`related` inside lists: `article_related_many` gives exactly what `article_related` gives, in constant queries."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import selectors
from articles.models import Article
from tests.articles.factories import ArticleFactory, SectionFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    """A random web of sections, tags, hand-picked links, drafts and equal publication times."""
    rng = random.Random(7)
    sections = [SectionFactory(name=f"Sec {i}") for i in range(3)]
    tags = [TagFactory(name=f"Tag {i}") for i in range(5)]
    now = timezone.now()
    articles = []
    for _ in range(40):
        article = ArticleFactory(
            section=rng.choice([*sections, None]),
            tags=rng.sample(tags, rng.randint(0, 3)),
            published_at=now - timedelta(minutes=rng.randint(0, 20)),  # many ties on published_at
            status=rng.choice([Article.Status.PUBLISHED] * 4 + [Article.Status.DRAFT]),
        )
        articles.append(article)
    for article in articles:
        article.related_articles.add(*rng.sample(articles, rng.randint(0, 4)))
    return [a for a in articles if a.status == Article.Status.PUBLISHED]


@pytest.mark.parametrize("limit", [1, 3, 5, 20])
def test_related_many_equals_related_for_each_article(web, limit):
    articles = list(selectors.article_list())
    many = selectors.article_related_many(articles=articles, limit=limit)
    for article in articles:
        expected = [a.pk for a in selectors.article_related(article=article, limit=limit)]
        assert [a.pk for a in many[article.pk]] == expected, article.pk


def test_related_many_constant_queries(web):
    articles = list(selectors.article_list())
    with CaptureQueriesContext(connection) as few:
        selectors.article_related_many(articles=articles[:2], limit=5)
    with CaptureQueriesContext(connection) as all_:
        selectors.article_related_many(articles=articles, limit=5)
    assert len(few.captured_queries) == len(all_.captured_queries) <= 7


RELATED_IN_LIST = """query($n: Int!) { articles(first: $n) { edges { node {
  slug related(first: 3) { slug authors { slug } tags { slug } section { slug } body related(first: 2) { slug } }
} } } }"""


def test_related_in_a_list_costs_the_same_for_3_and_all(graphql_client, web):
    graphql_client(RELATED_IN_LIST, {"n": 1})  # warm the meter-policy cache
    counts = []
    for n in (3, len(web)):
        with CaptureQueriesContext(connection) as ctx:
            response = graphql_client(RELATED_IN_LIST, {"n": n})
        assert response.status_code == 200, response.json_body
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_related_in_a_list_matches_the_detail(graphql_client, web):
    nodes = graphql_client(RELATED_IN_LIST, {"n": 50}).json_body["data"]["articles"]["edges"]
    for edge in nodes[:10]:
        node = edge["node"]
        detail = graphql_client(
            "query($s: String!) { article(slug: $s) { related(first: 3) { slug } } }", {"s": node["slug"]}
        ).json_body["data"]["article"]
        assert [r["slug"] for r in node["related"]] == [r["slug"] for r in detail["related"]]
