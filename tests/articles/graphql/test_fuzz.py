"""Generated queries against the content fields never cause a server error (hypothesis-graphql)."""

from datetime import UTC

import pytest
from graphql import GraphQLSchema, StringValueNode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, queries
from rest_framework.test import APIClient

from cms.schema import schema
from tests.articles.factories import ArticleFactory
from tests.conftest import GraphQLClient

CONTENT_FIELDS = ["articles", "article", "sections", "section", "tags", "authors", "author"]
GRAPHQL_SCHEMA: GraphQLSchema = schema.graphql_schema
DATETIME = st.datetimes(timezones=st.just(UTC)).map(lambda d: StringValueNode(value=d.isoformat()))


@pytest.fixture(scope="module")
def content(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        articles = [ArticleFactory(), ArticleFactory(access_level="free"), ArticleFactory(access_level="premium")]
        articles[0].related_articles.add(articles[1])
        yield
        for article in articles:
            article.delete()


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    query=st.one_of(
        queries(GRAPHQL_SCHEMA, fields=CONTENT_FIELDS, custom_scalars={"DateTime": DATETIME}),
        queries(GRAPHQL_SCHEMA, fields=CONTENT_FIELDS, mode=Mode.NEGATIVE, custom_scalars={"DateTime": DATETIME}),
    )
)
def test_generated_queries_never_fail_with_a_server_error(content, query):
    client = GraphQLClient(APIClient())
    response = client(query)
    assert response.status_code < 500, (query, response.content)
    body = response.json_body
    assert "errors" in body or "data" in body
    for error in body.get("errors", []):
        assert error["extensions"]["code"] != "internal_error", (query, error)
