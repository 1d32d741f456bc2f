"""Absolute URLs come from one base (cms.core.links.site_base): `SITE_URL` when set, else the scheme and host of the
request, the same way in REST, GraphQL, feeds, sitemaps and JSON-LD. Cached shapes never hand one host's URLs to
another: the public page cache keys by host, the detail snapshot keeps one rendering per base."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from articles.caching import MAX_BASES, article_detail_snapshot
from articles.models import Article, Image
from cms.core.links import site_base
from tests.articles.factories import ArticleFactory, AuthorFactory

pytestmark = pytest.mark.django_db

DEMO = "127.0.0.1:8011"  # `make run PORT=8011`


@pytest.fixture(autouse=True)
def hosts(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "news.example", "testserver"]
    settings.SITE_URL = ""


@pytest.fixture
def article():
    buffer = io.BytesIO()
    PILImage.new("RGB", (40, 20), "red").save(buffer, format="PNG")
    image = Image.objects.create(file=SimpleUploadedFile("hero.png", buffer.getvalue(), content_type="image/png"))
    Image.objects.filter(pk=image.pk).update(renditions=[{"width": 20, "height": 10, "format": "webp", "url": "/m/a"}])
    author = AuthorFactory(slug="amy")
    return ArticleFactory(slug="story", access_level=Article.AccessLevel.FREE, hero_image=image, authors=[author])


def _detail_urls(api_client, host: str) -> set[str]:
    data = api_client.get("/api/v1/articles/story/", HTTP_HOST=host).json()
    hero = data["hero_image"]
    return {
        hero["url"].split("/media/")[0],
        hero["renditions"][0]["url"].removesuffix("/m/a"),
        data["url"].removesuffix("/api/v1/articles/story/"),
        data["json_ld"]["url"].removesuffix("/api/v1/articles/story/"),
        data["json_ld"]["image"][0].split("/media/")[0],
    }


def test_the_detail_links_to_the_server_that_answered(api_client, article):
    assert _detail_urls(api_client, DEMO) == {f"http://{DEMO}"}


def test_each_host_gets_its_own_urls_from_the_shared_snapshot(api_client, article):
    # given the detail snapshot warmed by one host
    assert _detail_urls(api_client, DEMO) == {f"http://{DEMO}"}
    # then another host gets its own URLs, and the first still gets its own (both kept under the one entry)
    assert _detail_urls(api_client, "news.example") == {"http://news.example"}
    assert _detail_urls(api_client, DEMO) == {f"http://{DEMO}"}


def test_the_snapshot_keeps_a_bounded_number_of_bases(article):
    bases = [f"http://h{i}.example" for i in range(MAX_BASES + 2)]
    for base in bases:
        assert article_detail_snapshot(slug="story", base=base).public["url"].startswith(base)
    # the latest bases are served from the cache (no query), the oldest were dropped to keep the entry small
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        article_detail_snapshot(slug="story", base=bases[-1])
    assert len(queries) == 0


def test_lists_graphql_feeds_and_sitemaps_link_to_the_server_that_answered(api_client, graphql_client, article):
    base = f"http://{DEMO}"
    listed = api_client.get("/api/v1/articles/", HTTP_HOST=DEMO).json()["results"][0]
    assert listed["url"].startswith(base) and listed["hero_image"]["url"].startswith(base)
    other = api_client.get("/api/v1/articles/", HTTP_HOST="news.example").json()["results"][0]
    assert other["url"].startswith("http://news.example/")  # the public page cache is per host

    query = '{ article(slug: "story") { url jsonLd heroImage { url renditions { url } } } }'
    data = graphql_client(query, HTTP_HOST=DEMO).json_body["data"]["article"]
    assert data["url"].startswith(base) and data["jsonLd"]["url"].startswith(base)
    assert data["heroImage"]["url"].startswith(base) and data["heroImage"]["renditions"][0]["url"] == base + "/m/a"

    feed = api_client.get("/feeds/latest/", HTTP_HOST=DEMO).content.decode()
    assert f"<link>{base}/api/v1/articles/story/</link>" in feed and "127.0.0.1:8000" not in feed
    sitemap = api_client.get("/sitemap.xml", HTTP_HOST=DEMO).content.decode()
    assert f"<loc>{base}/api/v1/articles/story/</loc>" in sitemap
    news = api_client.get("/sitemap-news.xml", HTTP_HOST=DEMO).content.decode()
    assert f"<loc>{base}/api/v1/articles/story/</loc>" in news


def test_site_url_wins_over_the_request(api_client, graphql_client, article, settings):
    settings.SITE_URL = "https://api.news.example/"
    assert _detail_urls(api_client, DEMO) == {"https://api.news.example"}
    data = graphql_client('{ article(slug: "story") { url } }', HTTP_HOST=DEMO).json_body["data"]["article"]
    assert data["url"] == "https://api.news.example/api/v1/articles/story/"
    feed = api_client.get("/feeds/latest/", HTTP_HOST=DEMO).content.decode()
    assert "<link>https://api.news.example/api/v1/articles/story/</link>" in feed
    sitemap = api_client.get("/sitemap.xml", HTTP_HOST=DEMO).content.decode()
    assert "<loc>https://api.news.example/api/v1/articles/story/</loc>" in sitemap


def test_outside_a_request_the_base_is_site_url_else_public_base_url(settings):
    settings.PUBLIC_BASE_URL = "https://www.news.example/"
    assert site_base() == "https://www.news.example"
    settings.SITE_URL = "https://api.news.example"
    assert site_base() == "https://api.news.example"


def test_graphql_answers_per_host(graphql_client, article):
    query = '{ article(slug: "story") { url heroImage { url } } }'
    for host in (DEMO, "news.example", DEMO):
        data = graphql_client(query, HTTP_HOST=host).json_body["data"]["article"]
        assert data["url"] == f"http://{host}/api/v1/articles/story/"
        assert data["heroImage"]["url"].startswith(f"http://{host}/media/")
