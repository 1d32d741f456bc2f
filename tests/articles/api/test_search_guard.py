"""A full-text search that misses the page cache has its own rate per client, and a bounded database time."""

import pytest
from django.db import connection

from accounts.services import api_key_create
from accounts.throttling import SearchRateThrottle
from articles.services import search_vector_refresh
from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_searches_a_minute(monkeypatch, settings):
    rates = {**SearchRateThrottle.THROTTLE_RATES, "search": "2/min"}
    monkeypatch.setattr(SearchRateThrottle, "THROTTLE_RATES", rates)  # DRF binds the rates when it imports
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}  # GraphQL reads them live


def test_search_has_its_own_rate_and_lists_do_not_use_it(api_client, two_searches_a_minute):
    ArticleFactory(title="Carrier group")
    search_vector_refresh()
    statuses = [api_client.get(f"/api/v1/articles/?search=carrier&page_size={n}").status_code for n in (1, 2, 3)]
    assert statuses == [200, 200, 429]
    refused = api_client.get("/api/v1/articles/?search=carrier&page_size=4")
    assert refused.json()["code"] == "throttled" and int(refused["Retry-After"]) >= 1
    assert api_client.get("/api/v1/articles/?search=carrier&page_size=1").status_code == 200  # cached: no throttle
    assert [api_client.get(f"/api/v1/articles/?page_size={n}").status_code for n in (5, 6, 7)] == [200, 200, 200]
    other = api_client.get("/api/v1/articles/?search=carrier&page_size=5", REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200  # per client


def test_a_server_side_frontend_with_an_api_key_is_not_held_to_the_search_rate(api_client, two_searches_a_minute):
    _, raw = api_key_create(name="Next.js frontend")
    headers = {"X-Api-Key": raw}
    statuses = [
        api_client.get(f"/api/v1/articles/?search=x&page_size={n}", headers=headers).status_code for n in range(1, 5)
    ]
    assert statuses == [200, 200, 200, 200]
    nul = {"X-Api-Key": "mh_ab\x00c_secret"}  # no such key, and not one PostgreSQL could be asked about: no 500
    assert api_client.get("/api/v1/articles/?search=y&page_size=9", headers=nul).status_code == 200  # 1st search
    bogus = {"X-Api-Key": raw + "x"}
    statuses = [
        api_client.get(f"/api/v1/articles/?search=y&page_size={n}", headers=bogus).status_code for n in range(1, 3)
    ]
    assert statuses == [200, 429]  # forged keys count like no key


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's")
@pytest.mark.django_db(transaction=True)  # autocommit, as requests run in production
def test_a_search_over_its_time_answers_503_naming_search(api_client, settings, monkeypatch):
    from articles import selectors

    ArticleFactory(title="Carrier group")
    search_vector_refresh()
    settings.SEARCH_STATEMENT_TIMEOUT_MS = 50
    real = selectors.article_search

    def slow_search(qs, *, search, **options):  # the same search, made to take 200 ms inside PostgreSQL
        from django.db.models import Func

        return real(qs, search=search, **options).filter(
            pk__gt=Func(function="pg_sleep_for_zero", template="(SELECT 0 FROM pg_sleep(0.2))")
        )

    monkeypatch.setattr(selectors, "article_search", slow_search)
    response = api_client.get("/api/v1/articles/?search=carrier")
    assert response.status_code == 503, response.content
    body = response.json()
    assert (body["code"], body["errors"][0]["field"]) == ("search_timeout", "search")
    settings.SEARCH_STATEMENT_TIMEOUT_MS = 0
    assert api_client.get("/api/v1/articles/?search=carrier&page_size=2").status_code == 200
    with connection.cursor() as cursor:  # the limit ended with its transaction
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_graphql_search_over_its_time_is_an_error_naming_search(graphql_client, settings, monkeypatch):
    from django.db.models import Func

    from articles import selectors

    ArticleFactory(title="Carrier group")
    search_vector_refresh()
    settings.SEARCH_STATEMENT_TIMEOUT_MS = 50
    real = selectors.article_search
    sleep = Func(template="(SELECT 0 FROM pg_sleep(0.2))")
    monkeypatch.setattr(
        selectors, "article_search", lambda qs, *, search, **o: real(qs, search=search, **o).filter(pk__gt=sleep)
    )
    response = graphql_client('{ articles(first: 5, search: "carrier") { edges { node { slug } } } }')
    [error] = response.json_body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("search_timeout", "search")
    assert response.json_body["data"] is None or response.json_body["data"]["articles"] is None  # a field error


def test_graphql_searches_share_the_search_rate_with_rest(graphql_client, api_client, two_searches_a_minute):
    """The same bucket across both APIs: REST cannot be bypassed through GraphQL. Lists without a search, and a
    blank search, are not counted."""
    ArticleFactory(title="Carrier group")
    search_vector_refresh()
    assert api_client.get("/api/v1/articles/?search=carrier").status_code == 200  # one REST search
    query = "query($q: String, $n: Int!) { articles(first: $n, search: $q) { edges { node { slug } } } }"
    assert graphql_client(query, {"q": "carrier", "n": 2}).status_code == 200  # the second search
    assert graphql_client(query, {"q": "", "n": 3}).status_code == 200  # blank: not a search
    assert graphql_client("{ articles(first: 4) { edges { node { slug } } } }").status_code == 200
    fragment = 'query { ...F } fragment F on Query { articles(first: 5, search: "carrier") { edges { cursor } } }'
    refused = graphql_client(fragment)
    assert refused.status_code == 429, refused.json_body
    assert refused.json_body["errors"][0]["extensions"]["code"] == "throttled" and refused["Retry-After"]
