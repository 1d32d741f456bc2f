"""Search-as-you-type suggestions (issue 19): `GET /api/v1/search/suggest/?q=` and GraphQL `searchSuggest(q)`, prefix
and typo tolerant (pg_trgm), at most 10, public and cacheable, a constant number of queries."""

import pytest

from articles.models import Article
from tests.articles.factories import ArticleFactory, AuthorFactory, SectionFactory, TagFactory

pytestmark = pytest.mark.django_db

SUGGEST = "query($q: String!) { searchSuggest(q: $q) { type text slug url } }"


@pytest.fixture
def catalogue():
    SectionFactory(name="Special Operations")
    TagFactory(name="Afghanistan")
    TagFactory(name="Army Rangers")
    AuthorFactory(name="Maria Kessler", slug="maria-kessler")
    ArticleFactory(title="Carrier group sails north", slug="carrier-group")
    ArticleFactory(title="Zeppelin plans kept secret", status=Article.Status.DRAFT, published_at=None)


def _suggest(api_client, q: str) -> list[dict]:
    response = api_client.get("/api/v1/search/suggest/", {"q": q})
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("afgh", ("tag", "Afghanistan", "afghanistan")),  # prefix
        ("afganistan", ("tag", "Afghanistan", "afghanistan")),  # typo
        ("Spec", ("section", "Special Operations", "special-operations")),
        ("kesler", ("author", "Maria Kessler", "maria-kessler")),
        ("carier grou", ("article", "Carrier group sails north", "carrier-group")),
        ("rangers", ("tag", "Army Rangers", "army-rangers")),  # a later word of the name
    ],
)
def test_prefixes_and_typos_find_names_and_titles(api_client, graphql_client, catalogue, q, expected):
    rest = _suggest(api_client, q)
    assert (rest[0]["type"], rest[0]["text"], rest[0]["slug"]) == expected
    gql = graphql_client(SUGGEST, {"q": q})
    assert gql.status_code == 200 and gql.json_body["data"]["searchSuggest"] == rest


def test_each_suggestion_links_to_its_api_read(api_client, catalogue):
    urls = {s["type"]: s["url"] for q in ("afgh", "spec", "kessler", "carrier") for s in _suggest(api_client, q)}
    assert urls["tag"].endswith("/api/v1/articles/?tag=afghanistan")
    assert urls["section"].endswith("/api/v1/sections/special-operations/")
    assert urls["author"].endswith("/api/v1/authors/maria-kessler/")
    assert urls["article"].endswith("/api/v1/articles/carrier-group/")
    assert all(url.startswith("http://testserver/") for url in urls.values())


def test_drafts_and_unrelated_words_suggest_nothing(api_client, catalogue):
    assert _suggest(api_client, "zeppelin") == []
    assert _suggest(api_client, "xqzv") == []


def test_at_most_ten_newest_titles_first_each_text_once(api_client):
    for i in range(12):
        TagFactory(name=f"Convoy {i:02d}")
    ArticleFactory.create_batch(3, title="Convoy of the week")
    results = _suggest(api_client, "convoy")
    assert len(results) == 10
    texts = [r["text"] for r in results]
    assert len(set(texts)) == len(texts)


@pytest.mark.parametrize(
    ("params", "code"),
    [({}, "required"), ({"q": ""}, "blank"), ({"q": "   "}, "blank"), ({"q": "x" * 101}, "max_length")],
)
def test_a_missing_empty_or_long_q_is_a_400_naming_q(api_client, params, code):
    response = api_client.get("/api/v1/search/suggest/", params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "q"
    assert response.json()["errors"][0]["code"] == code


@pytest.mark.parametrize(("q", "code"), [("", "blank"), ("  ", "blank"), ("x" * 101, "max_length")])
def test_graphql_refuses_the_same_q(graphql_client, q, code):
    response = graphql_client(SUGGEST, {"q": q})
    assert response.status_code == 400
    assert response.json_body["errors"][0]["extensions"] == {"code": code, "field": "q"}


def test_a_hundred_characters_are_accepted(api_client, catalogue):
    assert _suggest(api_client, "afghanistan " * 8 + "a" * 4) is not None


def test_suggestions_are_public_and_cacheable(api_client, catalogue):
    response = api_client.get("/api/v1/search/suggest/", {"q": "afgh"})
    assert response["Cache-Control"] == "public, max-age=60, s-maxage=300"
    assert "X-Reader-Token" not in response and "mh_reader" not in response.cookies
    again = api_client.get("/api/v1/search/suggest/", {"q": "afgh"}, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


@pytest.mark.parametrize("articles", [1, 30])
def test_suggestions_cost_a_constant_number_of_queries(api_client, django_assert_max_num_queries, articles):
    ArticleFactory.create_batch(articles, title="Convoy report")
    TagFactory(name="Convoys")
    # the settings of the transaction (trigram threshold, time limit), then one query for the four kinds; in a
    # test, inside the test's transaction, plus a savepoint and its release
    with django_assert_max_num_queries(4):
        assert _suggest(api_client, "convoy")


def test_titles_come_from_the_newest_articles(api_client, monkeypatch):
    """A bounded cost: article titles are suggested from the newest SUGGEST_TITLES published articles."""
    from datetime import timedelta

    from django.utils import timezone

    from articles import search

    monkeypatch.setattr(search, "SUGGEST_TITLES", 2)
    now = timezone.now()
    old = ArticleFactory(title="Carrier drills of old", published_at=now - timedelta(days=9))
    ArticleFactory.create_batch(2, title="Convoy today", published_at=now)
    assert _suggest(api_client, "carrier") == []
    monkeypatch.setattr(search, "SUGGEST_TITLES", 3)
    assert [s["slug"] for s in _suggest(api_client, "carrier drills")] == [old.slug]
