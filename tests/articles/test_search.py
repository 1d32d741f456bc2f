"""Full-text search (issue 19): websearch syntax, relevance with recency or newest first, filters, both methods
(RUM where the extension and its index exist, the GIN fallback otherwise), and the migration without RUM."""

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.search import search_method, search_method_forget
from articles.services import search_vector_refresh
from tests.articles.factories import ArticleFactory, AuthorFactory, SectionFactory, TagFactory

pytestmark = pytest.mark.django_db

LIST = "query($search: String, $order: String) { articles(first: 20, search: $search, order: $order) { edges { node { slug } } } }"  # noqa: E501


def _article(title: str, *, days_ago: float = 0, **kwargs):
    return ArticleFactory(title=title, published_at=timezone.now() - timedelta(days=days_ago), **kwargs)


def _rest(api_client, **params) -> list[str]:
    response = api_client.get("/api/v1/articles/", params)
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


def _graphql(graphql_client, **variables) -> list[str]:
    response = graphql_client(LIST, variables)
    assert response.status_code == 200, response.content
    return [edge["node"]["slug"] for edge in response.json_body["data"]["articles"]["edges"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"carrier group"', ["phrase"]),  # a quoted phrase: the words next to each other
        ("carrier group", ["phrase", "apart"]),  # every word, anywhere
        ("carrier OR submarine", ["phrase", "apart", "submarine"]),
        ("carrier -baltic", ["phrase"]),  # -word excludes
    ],
)
def test_websearch_syntax(api_client, graphql_client, search_method, query, expected):
    articles = {
        "phrase": _article("Carrier group sails north", days_ago=1),
        "apart": _article("Carrier drills with a group in the Baltic", days_ago=2),
        "submarine": _article("Submarine patrol in the Baltic", days_ago=3),
    }
    _article("Unrelated convoy story")
    search_vector_refresh()
    want = sorted(articles[name].slug for name in expected)
    assert sorted(_rest(api_client, search=query)) == want
    assert sorted(_graphql(graphql_client, search=query)) == want


def test_relevance_is_the_default_and_newest_orders_by_date(api_client, graphql_client, search_method):
    relevant = _article("Convoy convoy convoy", dek="The convoy, the convoy.", days_ago=2)
    newer = _article("A late mention", dek="One convoy.", days_ago=1)
    search_vector_refresh()
    by_relevance, by_date = [relevant.slug, newer.slug], [newer.slug, relevant.slug]
    assert _rest(api_client, search="convoy") == by_relevance
    assert _rest(api_client, search="convoy", order="relevance") == by_relevance
    assert _rest(api_client, search="convoy", order="newest") == by_date
    assert _graphql(graphql_client, search="convoy") == by_relevance
    assert _graphql(graphql_client, search="convoy", order="newest") == by_date


def test_recency_lets_a_newer_article_outrank_an_older_one_as_tuned(api_client, settings, search_method):
    # given an old article slightly more relevant than a recent one
    old = _article("Convoy convoy report", days_ago=720)
    recent = _article("Convoy report", days_ago=1)
    search_vector_refresh()
    # then with the default half-life (90 days) the recent one comes first
    assert _rest(api_client, search="convoy") == [recent.slug, old.slug]
    # and with recency off, relevance alone decides
    settings.SEARCH_RECENCY_HALF_LIFE_DAYS = 0
    assert _rest(api_client, search="convoy", page_size=10) == [old.slug, recent.slug]  # (another cache key)


def test_equally_relevant_articles_come_newest_first(api_client, search_method):
    articles = [_article("Convoy report", days_ago=days) for days in (30, 1, 400, 7)]
    search_vector_refresh()
    newest_first = [a.slug for a in sorted(articles, key=lambda a: a.published_at, reverse=True)]
    assert _rest(api_client, search="convoy") == newest_first


@pytest.mark.parametrize("order", ["oldest", "rank", "RELEVANCE"])
def test_any_other_order_is_a_400_naming_order(api_client, graphql_client, order):
    response = api_client.get("/api/v1/articles/", {"search": "convoy", "order": order})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "order"
    response = graphql_client(LIST, {"search": "convoy", "order": order})
    assert response.status_code == 400
    assert response.json_body["errors"][0]["extensions"] == {"code": "invalid_choice", "field": "order"}


@pytest.mark.parametrize("order", ["relevance", "newest"])
def test_filters_apply_to_search(api_client, search_method, order):
    world, sport = SectionFactory(name="World"), SectionFactory(name="Sport")
    tag, author = TagFactory(name="Navy"), AuthorFactory()
    match = _article("Convoy at sea", section=world, tags=[tag], authors=[author], days_ago=1)
    _article("Convoy at home", section=sport, days_ago=1)
    old = _article("Convoy of old", section=world, days_ago=30)
    search_vector_refresh()
    since = (timezone.now() - timedelta(days=10)).date().isoformat()
    assert _rest(api_client, search="convoy", order=order, section="world") == [match.slug, old.slug]
    assert _rest(api_client, search="convoy", order=order, tag="navy") == [match.slug]
    assert _rest(api_client, search="convoy", order=order, author=author.slug) == [match.slug]
    assert _rest(api_client, search="convoy", order=order, section="world", published_before=since) == [old.slug]
    assert _rest(api_client, search="convoy", order=order, section="world", published_after=since) == [match.slug]


def test_search_pages_cover_every_candidate_once(api_client, search_method):
    articles = [_article(f"Convoy {'convoy ' * (i % 3)}day {i}", days_ago=i) for i in range(7)]
    search_vector_refresh()
    seen, url = [], "/api/v1/articles/?search=convoy&page_size=2"
    while url:
        data = api_client.get(url).json()
        seen += [item["slug"] for item in data["results"]]
        url = data["next"]
    assert sorted(seen) == sorted(a.slug for a in articles)


def test_rum_scores_a_bounded_set_of_candidates(api_client, settings):
    """With RUM only the SEARCH_CANDIDATES newest matches, from the index, are scored (the cost no longer grows with
    the number of matches), by relevance; GIN scores every match."""
    settings.SEARCH_CANDIDATES = 3
    old_but_relevant = _article("Convoy convoy convoy convoy", days_ago=50)
    _article("Convoy in the middle", days_ago=30)
    newest = [_article("Convoy today", days_ago=0.1), _article("Convoy convoy yesterday", days_ago=1)]
    third = _article("Convoy last week", days_ago=7)
    search_vector_refresh()
    search_method_forget()
    assert search_method() == "rum"
    with CaptureQueriesContext(connection) as ctx:
        found = _rest(api_client, search="convoy", page_size=20)
    assert "<=|" in " ".join(q["sql"] for q in ctx.captured_queries)  # newest first, from the RUM index
    assert found == [newest[1].slug, newest[0].slug, third.slug]  # ranked: two "convoy" first
    assert old_but_relevant.slug in _rest(api_client, search="convoy", order="newest")  # every match by date
    settings.SEARCH_METHOD = "gin"
    with CaptureQueriesContext(connection) as ctx:
        assert old_but_relevant.slug in _rest(api_client, search="convoy", page_size=19)  # all 5 scored
    assert "<=|" not in " ".join(q["sql"] for q in ctx.captured_queries)


def test_healthz_reports_the_search_method(client, search_method):
    assert client.get("/healthz").json()["search"] == {"method": search_method}


def _index_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_class WHERE relname = %s", [name])
        return cursor.fetchone() is not None


def _ddl_ready() -> None:
    """Check the deferred foreign keys of the rows made so far (PostgreSQL refuses DDL on a table with pending
    trigger events inside the test's transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_migration_skips_rum_where_the_extension_is_missing(api_client, monkeypatch, settings):
    migration = importlib.import_module("articles.migrations.0009_search_rum_and_trigram")
    convoy = _article("Convoy at sea")
    search_vector_refresh()
    _ddl_ready()
    with connection.schema_editor() as editor:
        migration.backwards(None, editor)
    assert not _index_exists("article_search_rum") and not _index_exists("tag_name_trgm")
    # given a server without the rum extension, migrating does not fail
    monkeypatch.setattr(migration, "rum_available", lambda editor: False)
    with connection.schema_editor() as editor:
        migration.forwards(None, editor)
    assert not _index_exists("article_search_rum")
    assert _index_exists("tag_name_trgm")
    # then the process searches with the fallback, and /healthz says so
    search_method_forget()
    assert search_method() == "gin"
    assert api_client.get("/healthz").json()["search"] == {"method": "gin"}
    assert _rest(api_client, search="convoy") == [convoy.slug]
    # and where it is available, migrating again adds the index
    monkeypatch.undo()
    with connection.schema_editor() as editor:
        migration.forwards(None, editor)
    search_method_forget()
    assert _index_exists("article_search_rum")
    assert search_method() == "rum"
    assert _rest(api_client, search="convoy") == [convoy.slug]
