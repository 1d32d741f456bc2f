"""A page of N articles costs the same number of SQL queries for N=1 and N=100, nested fields included."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Image
from tests.articles.factories import ArticleFactory, AuthorFactory, SectionFactory, TagFactory

pytestmark = pytest.mark.django_db

NESTED = """query($first: Int!) { articles(first: $first) { edges { cursor node {
  id slug title section { slug name } tags { slug name } authors { slug name bio }
  heroImage { url width height renditions { url } } accessLevel url
} } pageInfo { hasNextPage endCursor } } }"""

WITH_BODIES = """query($first: Int!) { articles(first: $first) { edges { node {
  slug authors { slug } body bodyIsPreview access { granted reason } paywall { code plans { display } } jsonLd
} } } }"""


@pytest.fixture
def hundred_articles():
    sections = [SectionFactory(name=f"S{i}") for i in range(3)]
    tags = [TagFactory(name=f"T{i}") for i in range(4)]
    authors = [AuthorFactory() for _ in range(5)]
    image = Image.objects.create(file="images/x.jpg", width=10, height=10, alt="x")
    now = timezone.now()
    for i in range(101):
        ArticleFactory(
            section=sections[i % 3],
            tags=[tags[i % 4], tags[(i + 1) % 4]],
            authors=[authors[i % 5], authors[(i + 2) % 5]],
            hero_image=image if i % 2 else None,
            published_at=now - timedelta(minutes=i),
            access_level=["metered", "free", "premium"][i % 3],
        )


def _count(graphql_client, query, first):
    with CaptureQueriesContext(connection) as ctx:
        response = graphql_client(query, {"first": first})
    assert response.status_code == 200, response.json_body
    assert len(response.json_body["data"]["articles"]["edges"]) == first
    return len(ctx.captured_queries)


def test_nested_list_costs_the_same_for_1_and_100(graphql_client, hundred_articles, django_assert_max_num_queries):
    one = _count(graphql_client, NESTED, 1)
    hundred = _count(graphql_client, NESTED, 100)
    assert one == hundred
    with django_assert_max_num_queries(4):  # page + byline + tags (section and image are joined)
        graphql_client(NESTED, {"first": 100})


def test_list_with_bodies_costs_the_same_for_3_and_100(graphql_client, hundred_articles, reader):
    # 3, not 1: the first three articles are metered, free and premium, so both paywall variants (meter, premium)
    # are built, once each per request, as for 100 articles. A first request warms the meter-policy and plan caches.
    graphql_client(WITH_BODIES, {"first": 3})
    three = _count(graphql_client, WITH_BODIES, 3)
    hundred = _count(graphql_client, WITH_BODIES, 100)
    assert three == hundred

    graphql_client.force_authenticate(reader)
    assert _count(graphql_client, WITH_BODIES, 3) == _count(graphql_client, WITH_BODIES, 100)


def test_list_with_bodies_query_budget(graphql_client, hundred_articles, django_assert_max_num_queries):
    # page, byline, tags, meter used + reads, plans for the paywall payload; the decision is one batch
    with django_assert_max_num_queries(10):
        response = graphql_client(WITH_BODIES, {"first": 100})
    assert response.status_code == 200


def test_loaders_batch_articles_without_prefetches(rf):
    """Instances that did not come from a selector (no prefetch) still load their children in one batch each."""
    from articles.graphql.dataloaders import AuthorsByArticleIdLoader, TagsByArticleIdLoader, articles_loaded
    from articles.models import Article

    tag = TagFactory(name="Only")
    author = AuthorFactory()
    for _ in range(5):
        ArticleFactory(tags=[tag], authors=[author])
    articles = list(Article.objects.all())
    request = rf.post("/graphql/")
    articles_loaded(request, articles)
    with CaptureQueriesContext(connection) as ctx:
        assert all(AuthorsByArticleIdLoader(request).load(a.pk) == [author] for a in articles)
        assert all(TagsByArticleIdLoader(request).load(a.pk) == [tag] for a in articles)
    assert len(ctx.captured_queries) == 2
    assert AuthorsByArticleIdLoader(request) is AuthorsByArticleIdLoader(request)  # cached per request


AUTHORS_WITH_LATEST = (
    """{ authors { slug latestArticles(first: 3) { slug authors { slug } tags { slug } section { slug } } } }"""
)


def _authors_with_articles(n_authors):
    from articles.models import Article

    authors = [AuthorFactory(slug=f"writer-{i}") for i in range(n_authors)]
    now = timezone.now()
    for i in range(n_authors * 3):
        ArticleFactory(
            authors=[authors[i % n_authors], authors[(i + 1) % n_authors]],
            tags=[TagFactory(name=f"Topic {i % 3}")],
            published_at=now - timedelta(minutes=i % 7),
            status=Article.Status.DRAFT if i % 5 == 0 else Article.Status.PUBLISHED,
        )
    return authors


def test_authors_latest_articles_cost_the_same_for_2_and_20_authors(graphql_client):
    counts = []
    for n in (2, 20):
        from articles.models import Article, Author

        Article.objects.all().delete()
        Author.objects.all().delete()
        _authors_with_articles(n)
        with CaptureQueriesContext(connection) as ctx:
            response = graphql_client(AUTHORS_WITH_LATEST)
        assert response.status_code == 200, response.json_body
        assert len(response.json_body["data"]["authors"]) == n
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_latest_articles_many_equals_one_by_one():
    from articles import selectors

    authors = _authors_with_articles(6)
    for limit in (1, 3, 10):
        many = selectors.author_latest_articles_many(authors=authors, limit=limit)
        for author in authors:
            expected = [a.pk for a in selectors.author_latest_articles(author=author, limit=limit)]
            assert [a.pk for a in many[author.pk]] == expected


def test_author_detail_latest_articles_in_graphql_match_rest(graphql_client, api_client):
    _authors_with_articles(4)
    rest = api_client.get("/api/v1/authors/writer-1/").json()["latest_articles"]
    data = graphql_client('{ author(slug: "writer-1") { latestArticles { slug } } }').json_body["data"]
    assert [a["slug"] for a in data["author"]["latestArticles"]] == [a["slug"] for a in rest]


DETAIL = """query Article($slug: String!) { article(slug: $slug) {
  slug title body bodyIsPreview access { granted reason readsLeft } section { slug } authors { slug } tags { slug }
} }"""


def test_detail_reads_the_article_from_the_snapshot_shared_with_rest(graphql_client, api_client):
    """The article comes from the detail snapshot (articles/caching.py): warm, a GraphQL detail costs only the
    meter's query; a snapshot REST built serves GraphQL too. The paywall still decides per request."""
    article = ArticleFactory(
        access_level="metered",
        section=SectionFactory(name="Coalition SOF"),
        tags=[TagFactory(name="SOF")],
        authors=[AuthorFactory()],
    )
    other = ArticleFactory(access_level="metered")
    cold = graphql_client(DETAIL, {"slug": article.slug})
    node = cold.json_body["data"]["article"]
    assert node["access"]["granted"] and node["tags"] == [{"slug": "sof"}] and node["section"]["slug"]
    with CaptureQueriesContext(connection) as ctx:
        warm = graphql_client(DETAIL, {"slug": article.slug})  # the same reader again: already read, uncounted
    assert warm.json_body["data"]["article"] == {**node, "access": {**node["access"], "reason": "already_read"}}
    meter_only = [q["sql"] for q in ctx.captured_queries if "articles_" in q["sql"]]
    assert meter_only == [], meter_only  # no article, byline or tag query: the snapshot served them
    assert api_client.get(f"/api/v1/articles/{other.slug}/").status_code == 200  # REST builds `other`'s snapshot
    with CaptureQueriesContext(connection) as ctx:
        shared = graphql_client(DETAIL, {"slug": other.slug})
    assert shared.json_body["data"]["article"]["slug"] == other.slug
    assert [q["sql"] for q in ctx.captured_queries if "articles_" in q["sql"]] == []
