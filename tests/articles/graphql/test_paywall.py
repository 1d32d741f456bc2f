"""The paywall over GraphQL: only the top-level article(slug) { body } counts, lists and related never count and
never leak the paid part, and the reader token travels back like REST's."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from paywall.models import MeterRead
from paywall.readers import COOKIE_NAME, HEADER_NAME
from tests.articles.factories import ArticleFactory
from tests.conftest import GraphQLClient

from .helpers import DETAIL

pytestmark = pytest.mark.django_db

SECRET = "SECRET-AFTER-BOUNDARY"
ARTICLE = DETAIL + "query($slug: String!) { article(slug: $slug) { ...Detail } }"
LIST_WITH_BODY = """query($first: Int!) { articles(first: $first) { edges { node {
  slug body bodyIsPreview access { granted reason readsLeft } paywall { code }
  jsonLd related(first: 3) { slug body bodyIsPreview }
} } } }"""


def _articles(n, **kwargs):
    now = timezone.now()
    return [ArticleFactory(published_at=now - timedelta(minutes=i), **kwargs) for i in range(n)]


def _read(client, article):
    response = client(ARTICLE, {"slug": article.slug})
    assert response.status_code == 200, response.json_body
    return response, response.json_body["data"]["article"]


def test_anonymous_gets_three_full_bodies_then_preview_and_paywall(graphql_client):
    articles = _articles(4)
    for i, article in enumerate(articles[:3]):
        response, data = _read(graphql_client, article)
        assert SECRET in data["body"] and data["bodyIsPreview"] is False
        assert data["access"]["reason"] == "metered" and data["access"]["readsLeft"] == 2 - i
        assert data["jsonLd"]["articleBody"]
        assert data["paywall"] is None

    response, data = _read(graphql_client, articles[3])
    assert SECRET not in response.content.decode()
    assert data["bodyIsPreview"] is True
    assert data["body"] == articles[3].body_preview
    assert data["access"] == {
        "granted": False,
        "reason": "meter_exhausted",
        "readsLeft": 0,
        "limit": 3,
        "resetsAt": data["access"]["resetsAt"],
        "readerKind": "anonymous",
        "policy": None,
    }
    assert "articleBody" not in data["jsonLd"]
    paywall = data["paywall"]
    assert paywall["code"] == "meter_exhausted"
    assert paywall["message"].startswith("You've reached your daily free article limit.")
    assert {p["code"]: p["display"] for p in paywall["plans"]}["weekly"] == "$0.50/week"
    assert paywall["trial"] == {"days": 14, "available": True}
    assert paywall["loginUrl"] and paywall["subscribeUrl"]

    # re-reading one of the first three still works, without counting again
    _, data = _read(graphql_client, articles[0])
    assert SECRET in data["body"] and data["access"]["reason"] == "already_read"
    assert MeterRead.objects.count() == 3


def test_registered_reader_gets_five(graphql_client, reader):
    graphql_client.force_authenticate(reader)
    articles = _articles(6)
    for article in articles[:5]:
        _, data = _read(graphql_client, article)
        assert data["access"]["granted"] is True and data["access"]["readerKind"] == "registered"
    response, data = _read(graphql_client, articles[5])
    assert data["access"]["reason"] == "meter_exhausted"
    assert SECRET not in response.content.decode()


def test_subscriber_reads_premium_and_nothing_counts(graphql_client, subscriber):
    graphql_client.force_authenticate(subscriber)
    premium = ArticleFactory(access_level="premium")
    _, data = _read(graphql_client, premium)
    assert SECRET in data["body"] and data["access"]["reason"] == "subscriber"
    assert MeterRead.objects.count() == 0


def test_premium_is_refused_to_anonymous(graphql_client):
    premium = ArticleFactory(access_level="premium")
    response, data = _read(graphql_client, premium)
    assert SECRET not in response.content.decode()
    assert data["paywall"]["code"] == "premium"
    assert data["access"]["reason"] == "premium"
    assert MeterRead.objects.count() == 0


def test_new_reader_token_is_sent_back_and_reused(api_client):
    article = ArticleFactory()
    client = GraphQLClient(api_client)
    response, _ = _read(client, article)
    token = response.headers[HEADER_NAME]
    assert response.cookies[COOKIE_NAME].value == token
    assert response.cookies[COOKIE_NAME]["httponly"]
    assert response.headers["Cache-Control"] == "private, no-store"

    # a mobile app without cookies sends the header back: same reader, the read is already counted
    app = GraphQLClient(APIClient())
    response = app(ARTICLE, {"slug": article.slug}, headers={HEADER_NAME: token})
    assert HEADER_NAME not in response.headers  # not re-issued
    assert response.json_body["data"]["article"]["access"]["reason"] == "already_read"


def test_tampered_token_is_not_trusted(graphql_client):
    article = ArticleFactory()
    response = graphql_client(ARTICLE, {"slug": article.slug}, headers={HEADER_NAME: "forged:token"})
    assert response.headers[HEADER_NAME] != "forged:token"
    assert response.json_body["data"]["article"]["access"]["reason"] == "metered"


def test_top_level_article_without_body_access_paywall_does_not_count(graphql_client):
    article = ArticleFactory()
    response = graphql_client(
        "query($s: String!) { article(slug: $s) { slug title jsonLd related { slug } } }", {"s": article.slug}
    )
    assert response.status_code == 200
    assert MeterRead.objects.count() == 0
    assert "articleBody" not in response.json_body["data"]["article"]["jsonLd"]
    assert SECRET not in response.content.decode()


def test_body_in_a_fragment_counts_once_even_when_aliased(graphql_client):
    article = ArticleFactory()
    response = graphql_client(
        """query($s: String!) { a: article(slug: $s) { ...B } b: article(slug: $s) { ... on Article { body } } }
           fragment B on Article { body }""",
        {"s": article.slug},
    )
    data = response.json_body["data"]
    assert SECRET in data["a"]["body"] and SECRET in data["b"]["body"]
    assert MeterRead.objects.count() == 1


@pytest.mark.parametrize(
    ("selection", "counted"),
    [
        ("body @skip(if: true)", 0),
        ("body @include(if: false)", 0),
        ("... on Article @skip(if: true) { body }", 0),
        ("body @skip(if: false)", 1),
        ("body @include(if: true)", 1),
    ],
)
def test_skipped_body_does_not_count(graphql_client, selection, counted):
    article = ArticleFactory()
    response = graphql_client(f"query($s: String!) {{ article(slug: $s) {{ slug {selection} }} }}", {"s": article.slug})
    assert response.status_code == 200, response.json_body
    assert MeterRead.objects.count() == counted


def test_skip_with_a_variable_is_honoured(graphql_client):
    article = ArticleFactory()
    query = "query($s: String!, $no: Boolean!) { article(slug: $s) { slug body @skip(if: $no) } }"
    graphql_client(query, {"s": article.slug, "no": True})
    assert MeterRead.objects.count() == 0
    graphql_client(query, {"s": article.slug, "no": False})
    assert MeterRead.objects.count() == 1


@pytest.mark.parametrize("field", ["access { reason }", "paywall { code }", "bodyIsPreview"])
def test_access_or_paywall_alone_is_a_detail_read(graphql_client, field):
    article = ArticleFactory()
    graphql_client(f"query($s: String!) {{ article(slug: $s) {{ {field} }} }}", {"s": article.slug})
    assert MeterRead.objects.count() == 1


def test_bodies_in_lists_never_count_and_never_leak(graphql_client):
    articles = _articles(5)
    for article in articles:
        article.related_articles.add(*[a for a in articles if a != article])
    response = graphql_client(LIST_WITH_BODY, {"first": 10})
    assert response.status_code == 200, response.json_body
    assert SECRET not in response.content.decode()
    assert MeterRead.objects.count() == 0
    node = response.json_body["data"]["articles"]["edges"][0]["node"]
    assert node["bodyIsPreview"] is True
    assert node["access"] == {"granted": False, "reason": "metered", "readsLeft": 3}
    assert node["paywall"] is None  # opening it would grant it: no paywall in the list
    assert "articleBody" not in node["jsonLd"]
    assert all(r["bodyIsPreview"] for r in node["related"])
    # the list resolved the reader: the token goes back and the answer is private
    assert response.headers["Cache-Control"] == "private, no-store"
    assert HEADER_NAME in response.headers


def test_list_bodies_are_full_when_granted_without_counting(graphql_client):
    free, read, unread = _articles(3)
    free.access_level = "free"
    free.save()
    _read(graphql_client, read)  # counted detail read
    response = graphql_client(LIST_WITH_BODY, {"first": 10})
    nodes = {e["node"]["slug"]: e["node"] for e in response.json_body["data"]["articles"]["edges"]}
    assert nodes[free.slug]["access"]["reason"] == "free" and SECRET in nodes[free.slug]["body"]
    assert nodes[read.slug]["access"]["reason"] == "already_read" and SECRET in nodes[read.slug]["body"]
    assert nodes[unread.slug]["bodyIsPreview"] is True and SECRET not in nodes[unread.slug]["body"]
    assert MeterRead.objects.count() == 1


def test_list_bodies_after_meter_exhausted_show_paywall(graphql_client):
    articles = _articles(4)
    for article in articles[:3]:
        _read(graphql_client, article)
    response = graphql_client(LIST_WITH_BODY, {"first": 10})
    nodes = {e["node"]["slug"]: e["node"] for e in response.json_body["data"]["articles"]["edges"]}
    last = nodes[articles[3].slug]
    assert last["access"]["reason"] == "meter_exhausted" and last["paywall"] == {"code": "meter_exhausted"}
    assert SECRET not in last["body"]


def test_related_bodies_of_a_detail_never_count(graphql_client):
    base, other = _articles(2)
    base.related_articles.add(other)
    response = graphql_client(
        "query($s: String!) { article(slug: $s) { body related { slug body access { reason } } } }",
        {"s": base.slug},
    )
    data = response.json_body["data"]["article"]
    assert SECRET in data["body"]
    assert data["related"][0]["access"]["reason"] == "metered"
    assert SECRET not in data["related"][0]["body"]
    assert list(MeterRead.objects.values_list("article_id", flat=True)) == [base.pk]


def test_author_of_the_article_reads_it_in_lists(graphql_client, reader):
    from tests.articles.factories import AuthorFactory

    own = ArticleFactory(authors=[AuthorFactory(user=reader)])
    graphql_client.force_authenticate(reader)
    response = graphql_client(LIST_WITH_BODY, {"first": 10})
    node = response.json_body["data"]["articles"]["edges"][0]["node"]
    assert node["slug"] == own.slug and node["access"]["reason"] == "author" and SECRET in node["body"]
