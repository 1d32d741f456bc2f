"""Every content query over GraphQL, and parity with REST on the same fixtures."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from articles.models import Article, Image
from articles.services import search_vector_refresh
from tests.articles.factories import ArticleFactory, AuthorFactory, SectionFactory, TagFactory
from tests.conftest import GraphQLClient

from .helpers import DETAIL, LIST_ITEM, camelize, normalise

pytestmark = pytest.mark.django_db

LIST_QUERY = (
    LIST_ITEM
    + """
query($first: Int!, $after: String, $section: String, $tag: String, $author: String, $search: String) {
  articles(first: $first, after: $after, section: $section, tag: $tag, author: $author, search: $search) {
    edges { cursor node { ...ListItem } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
)

DETAIL_QUERY = DETAIL + "query($slug: String!) { article(slug: $slug) { ...Detail } }"

# A 1x1 transparent GIF.
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
    b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def _image():
    image = Image(alt="A ship", caption="At sea", credit="Photo courtesy Wikipedia")
    image.file.save("ship.gif", SimpleUploadedFile("ship.gif", GIF, content_type="image/gif"), save=False)
    image.renditions = [{"width": 1, "height": 1, "format": "webp", "url": "/media/images/ship-1.webp"}]
    image.save()
    return image


def _catalogue():
    """Two sections, tags, authors in byline order, a hero image, a draft and a scheduled article."""
    now = timezone.now()
    world, sport = SectionFactory(name="World"), SectionFactory(name="Sport")
    navy, army = TagFactory(name="Navy"), TagFactory(name="Army")
    zed, amy = AuthorFactory(name="Zed", slug="zed"), AuthorFactory(name="Amy", slug="amy")
    articles = [
        ArticleFactory(
            section=world,
            tags=[navy, army],
            authors=[zed, amy],
            hero_image=_image(),
            published_at=now - timedelta(minutes=1),
            title="Carrier group sails",
            source_name="The Voice of America",
            source_url="https://www.voanews.com/",
        ),
        ArticleFactory(section=sport, tags=[army], authors=[amy], published_at=now - timedelta(minutes=2)),
        ArticleFactory(section=world, published_at=now - timedelta(minutes=3), access_level="free"),
        ArticleFactory(section=world, published_at=now - timedelta(minutes=4), access_level="premium"),
    ]
    ArticleFactory(status=Article.Status.DRAFT, published_at=None, title="Draft")
    ArticleFactory(status=Article.Status.SCHEDULED, published_at=now + timedelta(days=1), title="Scheduled")
    return articles


def _nodes(response):
    assert response.status_code == 200, response.json_body
    assert "errors" not in response.json_body, response.json_body
    return [edge["node"] for edge in response.json_body["data"]["articles"]["edges"]]


# --- articles -------------------------------------------------------------------------------------------------------


def test_articles_lists_published_newest_first_with_nested_shape(graphql_client):
    articles = _catalogue()
    nodes = _nodes(graphql_client(LIST_QUERY, {"first": 10}))
    assert [n["slug"] for n in nodes] == [a.slug for a in articles]
    first = nodes[0]
    assert first["id"] == articles[0].pk
    assert [a["slug"] for a in first["authors"]] == ["zed", "amy"]  # byline order, not name order
    assert first["tags"] == [{"slug": "army", "name": "Army"}, {"slug": "navy", "name": "Navy"}]
    assert first["section"] == {"slug": "world", "name": "World"}
    assert first["heroImage"]["width"] == 1 and first["heroImage"]["credit"] == "Photo courtesy Wikipedia"
    assert first["heroImage"]["url"].startswith("http") and first["heroImage"]["url"].endswith(".gif")
    assert first["heroImage"]["renditions"][0]["url"].startswith("http")
    assert first["accessLevel"] == "metered"
    assert first["url"].endswith(f"/api/v1/articles/{articles[0].slug}/")


def test_articles_paginate_with_cursors(graphql_client):
    articles = _catalogue()
    page1 = graphql_client(LIST_QUERY, {"first": 3}).json_body["data"]["articles"]
    assert [e["node"]["slug"] for e in page1["edges"]] == [a.slug for a in articles[:3]]
    assert page1["pageInfo"]["hasNextPage"] is True
    assert page1["pageInfo"]["hasPreviousPage"] is False
    assert page1["pageInfo"]["endCursor"] == page1["edges"][-1]["cursor"]

    page2 = graphql_client(LIST_QUERY, {"first": 3, "after": page1["pageInfo"]["endCursor"]}).json_body
    page2 = page2["data"]["articles"]
    assert [e["node"]["slug"] for e in page2["edges"]] == [articles[3].slug]
    assert page2["pageInfo"]["hasNextPage"] is False
    assert page2["pageInfo"]["hasPreviousPage"] is True

    # an edge's cursor continues right after that edge
    middle = graphql_client(LIST_QUERY, {"first": 1, "after": page1["edges"][0]["cursor"]})
    assert [n["slug"] for n in _nodes(middle)] == [articles[1].slug]


def test_articles_filters(graphql_client):
    articles = _catalogue()
    search_vector_refresh()  # factories skip article_save; on PostgreSQL the search vector is filled here

    def slugs(**variables):
        return [n["slug"] for n in _nodes(graphql_client(LIST_QUERY, {"first": 10, **variables}))]

    assert slugs(section="sport") == [articles[1].slug]
    assert slugs(tag="navy") == [articles[0].slug]
    assert slugs(author="amy") == [articles[0].slug, articles[1].slug]
    assert slugs(search="Carrier") == [articles[0].slug]


@pytest.mark.parametrize(
    ("variables", "field", "code"),
    [
        ({"section": "nope"}, "section", "unknown_slug"),
        ({"tag": "nope"}, "tag", "unknown_slug"),
        ({"author": "nope"}, "author", "unknown_slug"),
        ({"after": "not-a-cursor"}, "after", "invalid_cursor"),
        ({"search": "x" * 201}, "search", "invalid"),
        ({"search": "a\x00b"}, "search", "invalid"),
        ({"section": "a\x00b"}, "section", "invalid"),
    ],
)
def test_articles_bad_arguments_are_400_naming_the_argument(graphql_client, variables, field, code):
    ArticleFactory()
    response = graphql_client(LIST_QUERY, {"first": 10, **variables})
    assert response.status_code == 400
    error = response.json_body["errors"][0]
    assert error["extensions"] == {"code": code, "field": field}


def test_articles_without_body_do_not_resolve_the_reader(graphql_client):
    _catalogue()
    response = graphql_client(LIST_QUERY, {"first": 10})
    assert "X-Reader-Token" not in response.headers
    assert "mh_reader" not in response.cookies
    assert "SECRET-AFTER-BOUNDARY" not in response.content.decode()


# --- article -------------------------------------------------------------------------------------------------------


def test_article_detail_fields(graphql_client):
    articles = _catalogue()
    response = graphql_client(DETAIL_QUERY, {"slug": articles[0].slug})
    assert response.status_code == 200, response.json_body
    article = response.json_body["data"]["article"]
    assert article["source"] == {"name": "The Voice of America", "url": "https://www.voanews.com/"}
    assert article["seo"] == {"title": articles[0].title, "description": articles[0].dek}
    assert article["jsonLd"]["@type"] == "NewsArticle"
    assert article["jsonLd"]["isAccessibleForFree"] is False
    assert "SECRET-AFTER-BOUNDARY" in article["body"]  # first metered read of an anonymous reader
    assert article["bodyIsPreview"] is False
    assert article["access"]["reason"] == "metered"
    assert article["paywall"] is None


@pytest.mark.parametrize("status", [Article.Status.DRAFT, Article.Status.SCHEDULED, Article.Status.ARCHIVED])
def test_unpublished_article_is_null(graphql_client, status):
    article = ArticleFactory(status=status, published_at=timezone.now() + timedelta(days=1))
    response = graphql_client(DETAIL_QUERY, {"slug": article.slug})
    assert response.status_code == 200
    assert response.json_body == {"data": {"article": None}}


def test_unknown_article_is_null(graphql_client):
    response = graphql_client('{ article(slug: "nope") { slug } }')
    assert response.json_body == {"data": {"article": None}}


@pytest.mark.parametrize("slug", ["a\x00b", "x" * 5000])
def test_impossible_slugs_are_null_not_errors(graphql_client, slug):
    response = graphql_client(
        "query($s: String!) { article(slug: $s) { slug } section(slug: $s) { slug } author(slug: $s) { slug } }",
        {"s": slug},
    )
    assert response.status_code == 200
    assert response.json_body == {"data": {"article": None, "section": None, "author": None}}


def test_related_plain_list(graphql_client):
    articles = _catalogue()
    base = articles[0]
    base.related_articles.add(articles[3])
    response = graphql_client(
        "query($s: String!) { article(slug: $s) { related { slug } two: related(first: 1) { slug } } }",
        {"s": base.slug},
    )
    data = response.json_body["data"]["article"]
    assert data["related"][0] == {"slug": articles[3].slug}  # hand-picked first
    assert {r["slug"] for r in data["related"]} == {articles[1].slug, articles[2].slug, articles[3].slug}
    assert base.slug not in {r["slug"] for r in data["related"]}
    assert data["two"] == [{"slug": articles[3].slug}]

    explicit_null = graphql_client(  # found by schemathesis: a 500 before
        "query($s: String!, $f: Int) { article(slug: $s) { related(first: $f) { slug } } }", {"s": base.slug, "f": None}
    )
    assert explicit_null.status_code == 200
    assert explicit_null.json_body["data"]["article"]["related"] == data["related"]


@pytest.mark.parametrize("first", [0, 21])
def test_related_first_out_of_range(graphql_client, first):
    article = ArticleFactory()
    response = graphql_client(
        "query($s: String!, $f: Int) { article(slug: $s) { related(first: $f) { slug } } }",
        {"s": article.slug, "f": first},
    )
    assert response.status_code == 400
    assert response.json_body["errors"][0]["extensions"]["code"] == "first_out_of_range"


# --- sections, tags, authors ----------------------------------------------------------------------------------------


def test_sections_tags_authors(graphql_client):
    _catalogue()
    data = graphql_client(
        """{ sections { slug name description } section(slug: "world") { name }
             missing: section(slug: "nope") { name }
             tags { slug name } authors { slug name bio avatar links { label url } }
             author(slug: "amy") { name latestArticles { slug } }
             nobody: author(slug: "nope") { name } }"""
    ).json_body["data"]
    assert {"world", "sport"} <= {s["slug"] for s in data["sections"]}
    assert data["section"] == {"name": "World"}
    assert data["missing"] is None
    assert [t["slug"] for t in data["tags"]] == ["army", "navy"]
    assert [a["slug"] for a in data["authors"]] == ["amy", "zed"]
    assert data["authors"][0]["links"] == [] and data["authors"][0]["avatar"] is None
    assert len(data["author"]["latestArticles"]) == 2
    assert data["nobody"] is None


def test_author_links_tolerate_odd_json(graphql_client):
    AuthorFactory(slug="odd", links=[{"label": "Site", "url": "https://example.com"}, "junk", 3])
    data = graphql_client('{ author(slug: "odd") { links { label url } } }').json_body["data"]
    assert data["author"]["links"] == [{"label": "Site", "url": "https://example.com"}]


# --- parity with REST -----------------------------------------------------------------------------------------------


def test_list_parity_with_rest(graphql_client, api_client):
    _catalogue()
    rest = api_client.get("/api/v1/articles/?page_size=10").json()["results"]
    nodes = _nodes(graphql_client(LIST_QUERY, {"first": 10}))
    assert normalise(nodes) == normalise(camelize(rest))


def test_filtered_list_parity_with_rest(graphql_client, api_client):
    _catalogue()
    for param, value in [("section", "world"), ("tag", "army"), ("author", "amy")]:
        rest = api_client.get(f"/api/v1/articles/?{param}={value}").json()["results"]
        nodes = _nodes(graphql_client(LIST_QUERY, {"first": 20, param: value}))
        assert [n["slug"] for n in nodes] == [r["slug"] for r in rest]


def test_detail_parity_with_rest(api_client):
    # two fresh anonymous readers (separate cookie jars): each one's first read is counted the same way
    graphql_client = GraphQLClient(APIClient())
    articles = _catalogue()
    for article in articles:
        rest = api_client.get(f"/api/v1/articles/{article.slug}/").json()
        graphql = graphql_client(DETAIL_QUERY, {"slug": article.slug}).json_body["data"]["article"]
        assert normalise(graphql) == normalise(camelize(rest)), article.access_level


@pytest.mark.parametrize("token", ["live", "forged"])
def test_gift_detail_parity_with_rest(api_client, subscriber, token):
    from tests.paywall.gifts import gift_of

    # two recipients (separate cookie jars) of one gift link, or of a forged token
    graphql_client = GraphQLClient(APIClient())
    article = ArticleFactory(access_level="premium")
    _, gift = gift_of(article, subscriber)
    gift = gift if token == "live" else gift + "x"
    rest = api_client.get(f"/api/v1/articles/{article.slug}/", {"gift": gift}).json()
    query = DETAIL + "query($slug: String!, $gift: String) { article(slug: $slug, gift: $gift) { ...Detail } }"
    graphql = graphql_client(query, {"slug": article.slug, "gift": gift}).json_body["data"]["article"]
    assert normalise(graphql) == normalise(camelize(rest))
    assert rest["access"]["reason"] == ("gift" if token == "live" else "premium")


def test_related_parity_with_rest(graphql_client, api_client):
    articles = _catalogue()
    rest = api_client.get(f"/api/v1/articles/{articles[0].slug}/related/").json()["results"]
    graphql = graphql_client(
        LIST_ITEM + "query($s: String!) { article(slug: $s) { related { ...ListItem } } }", {"s": articles[0].slug}
    ).json_body["data"]["article"]["related"]
    assert normalise(graphql) == normalise(camelize(rest))


def test_sections_tags_authors_parity_with_rest(graphql_client, api_client):
    _catalogue()
    AuthorFactory(slug="linked", links=[{"label": "Site", "url": "https://example.com"}])
    data = graphql_client(
        """{ sections { slug name description } tags { slug name } authors { slug name bio avatar links { label url } }
             amy: author(slug: "amy") { slug name bio avatar links { label url } latestArticles { ...ListItem } } }"""
        + LIST_ITEM
    ).json_body["data"]
    assert data["sections"] == api_client.get("/api/v1/sections/").json()["results"]
    assert data["tags"] == api_client.get("/api/v1/tags/").json()["results"]
    assert data["authors"] == api_client.get("/api/v1/authors/").json()["results"]
    assert api_client.get("/api/v1/sections/world/").json() == {
        "slug": "world",
        "name": "World",
        "description": "",
    }
    rest_amy = api_client.get("/api/v1/authors/amy/").json()
    assert normalise(data["amy"]) == normalise(camelize(rest_amy))
