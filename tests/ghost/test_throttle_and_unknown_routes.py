"""The Ghost routes are rate limited per client address (THROTTLE_GHOST) with Ghost's error envelope and
Retry-After, a refused request counts no read, and unknown routes answer Ghost's 404 envelope, not HTML."""

import pytest
from django.core.cache import cache

from accounts.throttling import GhostRateThrottle
from articles.models import Article
from cms.ghost.keys import content_api_key_create
from paywall.models import MeterRead
from tests.articles.factories import ArticleFactory

pytestmark = pytest.mark.django_db

PREFIXES = (
    "/ghost/api/content/",
    "/ghost/api/v2/content/",
    "/ghost/api/v3/content/",
    "/ghost/api/v4/content/",
    "/ghost/api/canary/content/",
)


@pytest.fixture
def key():
    return content_api_key_create(name="Frontend")[1]


@pytest.fixture
def two_per_minute(monkeypatch):
    cache.clear()
    monkeypatch.setattr(GhostRateThrottle, "THROTTLE_RATES", {**GhostRateThrottle.THROTTLE_RATES, "ghost": "2/min"})
    yield
    cache.clear()


def test_over_the_rate_is_a_429_in_ghosts_envelope_with_retry_after(client, key, two_per_minute):
    url = f"/ghost/api/content/settings/?key={key}"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200

    refused = client.get(url)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert refused["Access-Control-Allow-Origin"] == "*"
    error = refused.json()["errors"][0]
    assert error["type"] == "TooManyRequestsError" and "try again" in error["message"]


def test_a_refused_read_counts_nothing(client, key, two_per_minute):
    article = ArticleFactory(access_level=Article.AccessLevel.METERED)
    url = f"/ghost/api/content/posts/slug/{article.slug}/?key={key}"
    client.get(f"/ghost/api/content/settings/?key={key}")
    client.get(f"/ghost/api/content/settings/?key={key}")

    assert client.get(url).status_code == 429
    assert not MeterRead.objects.exists()


def test_the_rate_is_per_client_address(client, key, two_per_minute):
    url = f"/ghost/api/content/tiers/?key={key}"
    for _ in range(2):
        client.get(url, REMOTE_ADDR="10.0.0.1")
    assert client.get(url, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get(url, REMOTE_ADDR="10.0.0.2").status_code == 200


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("rest", ["newsletters/", "offers/", "posts/x/y/z/", ""])
def test_unknown_routes_answer_ghosts_404(client, key, prefix, rest):
    response = client.get(f"{prefix}{rest}?key={key}")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json()["errors"][0]["type"] == "NotFoundError"


def test_a_missing_trailing_slash_still_redirects(client, key):
    response = client.get(f"/ghost/api/content/posts?key={key}")
    assert response.status_code == 301 and response["Location"].startswith("/ghost/api/content/posts/")
