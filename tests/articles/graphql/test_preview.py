"""`article(slug, preview)`: an editor's preview link over GraphQL, decided by the paywall (reason `preview`) like
the REST `?preview=`: the draft in full, uncounted, never from the public answer cache."""

import pytest

from articles.models import Article
from articles.services.preview import preview_token_create
from paywall.models import MeterRead
from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db

QUERY = """query($slug: String!, $preview: String) {
  article(slug: $slug, preview: $preview) { title body bodyIsPreview access { granted reason readerKind readsLeft } }
}"""
SECRET = "SECRET-AFTER-BOUNDARY"


@pytest.fixture
def draft():
    return ArticleFactory(
        title="Draft title", status=Article.Status.DRAFT, published_at=None, access_level=Article.AccessLevel.PREMIUM
    )


def test_a_valid_token_reads_the_draft_in_full_uncounted(graphql_client, draft):
    response = graphql_client(QUERY, {"slug": draft.slug, "preview": preview_token_create(article=draft)})

    article = response.json_body["data"]["article"]
    assert article["title"] == "Draft title" and SECRET in article["body"] and article["bodyIsPreview"] is False
    assert article["access"] == {"granted": True, "reason": "preview", "readerKind": "preview", "readsLeft": None}
    assert not MeterRead.objects.exists()


def test_no_wrong_or_other_article_token_gives_null(graphql_client, draft):
    other = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    token = preview_token_create(article=draft)

    for variables in (
        {"slug": draft.slug},
        {"slug": draft.slug, "preview": token[:-2] + "xx"},
        {"slug": other.slug, "preview": token},
        {"slug": draft.slug, "preview": ""},
    ):
        response = graphql_client(QUERY, variables)
        assert response.status_code == 200 and response.json_body["data"]["article"] is None, variables


def test_a_preview_answer_is_never_cached(graphql_client, draft, settings):
    variables = {"slug": draft.slug, "preview": preview_token_create(article=draft)}
    assert graphql_client(QUERY, variables).json_body["data"]["article"]["title"] == "Draft title"

    settings.ARTICLE_PREVIEW_TOKEN_MAX_AGE = -1  # the same token has now expired; nothing else changed

    assert graphql_client(QUERY, variables).json_body["data"]["article"] is None
