"""/graphql/ caches: validated documents per process, and public answers per content generation. The public cache
must never hand one reader's answer to another: only requests without an identity use it, and an answer that
resolved the reader (its token) is not stored."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import AccessToken

from articles.models import Article
from cms.graphql.caching import validated_documents
from tests.articles.factories import ArticleFactory, AuthorFactory, TagFactory

pytestmark = pytest.mark.django_db

SECRET = "SECRET-AFTER-BOUNDARY"
LIST = "query { articles(first: 5) { edges { node { slug title tags { slug } authors { slug } } } } }"


def _post(query: str, variables: dict | None = None, *, token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = Client().post(
        "/graphql/", json.dumps({"query": query, "variables": variables}), content_type="application/json", **headers
    )
    return response, response.json()


def test_a_public_query_is_answered_from_the_cache_without_sql():
    ArticleFactory.create_batch(3, tags=[TagFactory()], authors=[AuthorFactory()])
    first, first_body = _post(LIST)
    with CaptureQueriesContext(connection) as queries:
        second, second_body = _post(LIST)
    assert first.status_code == second.status_code == 200
    assert second_body == first_body and len(first_body["data"]["articles"]["edges"]) == 3
    assert queries.captured_queries == []


def test_a_content_change_shows_at_once():
    article = ArticleFactory(title="Before")
    assert _post(LIST)[1]["data"]["articles"]["edges"][0]["node"]["title"] == "Before"
    article.title = "After"
    article.save()
    assert _post(LIST)[1]["data"]["articles"]["edges"][0]["node"]["title"] == "After"


def test_variables_are_part_of_the_key():
    ArticleFactory.create_batch(3)
    query = "query($n: Int!) { articles(first: $n) { edges { node { slug } } } }"
    assert len(_post(query, {"n": 1})[1]["data"]["articles"]["edges"]) == 1
    assert len(_post(query, {"n": 3})[1]["data"]["articles"]["edges"]) == 3


def test_a_subscribers_full_body_is_never_served_to_another_reader(subscriber):
    article = ArticleFactory(access_level=Article.AccessLevel.PREMIUM, body=f"<p>Lead.</p><p>{SECRET}</p>")
    query = "query($slug: String!) { article(slug: $slug) { slug body access { granted reason } } }"
    variables = {"slug": article.slug}
    # the subscriber asks first (full body) ...
    _, paid = _post(query, variables, token=str(AccessToken.for_user(subscriber)))
    assert paid["data"]["article"]["access"]["granted"] is True and SECRET in paid["data"]["article"]["body"]
    # ... then an anonymous reader asks the very same query
    response, anonymous = _post(query, variables)
    assert anonymous["data"]["article"]["access"] == {"granted": False, "reason": "premium"}
    assert SECRET not in response.content.decode()


def test_a_resolver_that_looks_at_the_user_is_not_cached(subscriber, reader):
    # `me` is not a public root field; a public root whose resolvers evaluate request.user is caught by the watch
    query = "query { me { email } }"
    assert _post(query, token=str(AccessToken.for_user(subscriber)))[1]["data"]["me"]["email"] == subscriber.email
    assert _post(query, token=str(AccessToken.for_user(reader)))[1]["data"]["me"]["email"] == reader.email


def test_requests_with_an_identity_neither_read_nor_fill_the_cache(subscriber, client):
    """A bearer token or a session cookie: executed every time, never stored, whatever the resolvers look at."""
    ArticleFactory(title="Before")
    token = str(AccessToken.for_user(subscriber))
    with CaptureQueriesContext(connection) as bearer:
        assert _post(LIST, token=token)[0].status_code == 200
    assert bearer.captured_queries  # executed
    article = Article.objects.get()
    Article.objects.filter(pk=article.pk).update(title="Changed without a content event")
    # an anonymous request right after: the bearer's answer was not stored, so it sees the row as it is now
    assert _post(LIST)[1]["data"]["articles"]["edges"][0]["node"]["title"] == "Changed without a content event"
    # a session client is not served the anonymous answer now cached
    client.force_login(subscriber)
    with CaptureQueriesContext(connection) as session:
        response = client.post("/graphql/", json.dumps({"query": LIST}), content_type="application/json")
    assert response.status_code == 200 and session.captured_queries


def test_an_anonymous_public_answer_is_served_to_the_next_anonymous_request():
    ArticleFactory()
    _post(LIST)
    with CaptureQueriesContext(connection) as queries:
        assert _post(LIST)[0].status_code == 200
    assert queries.captured_queries == []


def test_validated_documents_are_reused_and_limits_are_part_of_the_key(settings):
    ArticleFactory()
    validated_documents.clear()
    deep = "query { articles(first: 1) { edges { node { section { slug } } } } }"
    assert _post(deep)[0].status_code == 200
    assert validated_documents.get(deep) is not None
    settings.GRAPHQL_MAX_DEPTH = 2  # a stricter limit: the document must be validated again, and now fails
    response, body = _post(deep)
    assert response.status_code == 400 and body["errors"][0]["extensions"]["code"] == "max_depth_exceeded"
    assert validated_documents.get(deep) is None
