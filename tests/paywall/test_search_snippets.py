"""Search snippets come only from what the paywall lets a reader see without counting."""

import pytest

from articles.models import Article
from articles.services import search_vector_refresh
from articles.services.search import search_snippet
from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db

BODY = (
    "<p>Opening paragraph about the convoy.</p><p>Second paragraph.</p><p>Third paragraph.</p>"
    "<p>SECRET-AFTER-BOUNDARY the xylophone battalion moved at dawn.</p><p>More paid text.</p>"
)


def test_snippet_marks_terms_and_escapes_text():
    snippet = search_snippet(html="<p>Tom &amp; Jerry <b>met</b> the xylophone player.</p>", query="Xylophone")
    assert snippet == "Tom &amp; Jerry met the <mark>xylophone</mark> player."
    assert search_snippet(html="<p>nothing here</p>", query="xylophone") == ""
    assert "<script>" not in search_snippet(html="<p>&lt;script&gt; xylophone</p>", query="xylophone")


@pytest.mark.parametrize("order", ["relevance", "newest"])
def test_rest_and_graphql_snippets_never_come_from_the_paid_part(api_client, graphql_client, search_method, order):
    metered = ArticleFactory(title="Metered convoy", body=BODY)
    free = ArticleFactory(title="Free convoy", body=BODY, access_level=Article.AccessLevel.FREE)
    premium = ArticleFactory(title="Premium convoy", body=BODY, access_level=Article.AccessLevel.PREMIUM)
    search_vector_refresh()

    rest = api_client.get("/api/v1/articles/", {"search": "xylophone", "order": order})
    assert rest.status_code == 200
    assert {item["slug"] for item in rest.json()["results"]} == {metered.slug, free.slug, premium.slug}
    snippets = {item["slug"]: item["snippet"] for item in rest.json()["results"]}
    gql = graphql_client(
        f'{{ articles(first: 10, search: "xylophone", order: "{order}") {{ edges {{ node {{ slug snippet }} }} }} }}'
    )
    gql_snippets = {e["node"]["slug"]: e["node"]["snippet"] for e in gql.json_body["data"]["articles"]["edges"]}

    for found in (snippets, gql_snippets):
        assert "<mark>xylophone</mark>" in found[free.slug]
        for paid in (metered, premium):
            assert "xylophone" not in (found.get(paid.slug) or "")
            assert "SECRET-AFTER-BOUNDARY" not in (found.get(paid.slug) or "")
    assert b"SECRET-AFTER-BOUNDARY" not in rest.content.replace(
        snippets[free.slug].encode(), b""
    )  # only the free article's snippet may quote its paid part


def test_a_search_matching_the_preview_gives_a_snippet_for_metered_articles(api_client):
    metered = ArticleFactory(title="Convoy report", body=BODY)
    search_vector_refresh()
    item = api_client.get("/api/v1/articles/", {"search": "convoy"}).json()["results"][0]
    assert item["slug"] == metered.slug
    assert "<mark>convoy</mark>" in item["snippet"].lower()


def test_lists_without_search_have_null_snippets(api_client):
    ArticleFactory()
    assert api_client.get("/api/v1/articles/").json()["results"][0]["snippet"] is None
