from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from articles.models import Article
from tests.articles.factories import ArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db


def _xml(content: bytes):
    return ElementTree.fromstring(content)  # noqa: S314 (our own response, in a test)


def test_rss_latest_full_body_only_for_free_articles(client):
    free = ArticleFactory(access_level=Article.AccessLevel.FREE, title="Free story")
    metered = ArticleFactory(title="Metered story", dek="Metered dek")
    premium = ArticleFactory(access_level=Article.AccessLevel.PREMIUM, title="Premium story")
    ArticleFactory(status=Article.Status.DRAFT, published_at=None, title="Draft story")

    response = client.get("/feeds/latest/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    items = {i.findtext("title"): i for i in _xml(response.content).iter("item")}
    assert set(items) == {free.title, metered.title, premium.title}
    assert "SECRET-AFTER-BOUNDARY" in items[free.title].findtext("description")
    for title in (metered.title, premium.title):
        description = items[title].findtext("description")
        assert "SECRET-AFTER-BOUNDARY" not in description
        assert "Opening paragraph" in description
    assert "Metered dek" in items[metered.title].findtext("description")
    assert items[metered.title].findtext("link").endswith(f"/api/v1/articles/{metered.slug}/")


def test_atom_feed_and_section_feeds(client):
    world, sport = SectionFactory(name="World"), SectionFactory(name="Sport")
    in_world = ArticleFactory(section=world)
    ArticleFactory(section=sport)

    atom = client.get("/feeds/latest/atom/")
    assert atom.status_code == 200 and atom["Content-Type"].startswith("application/atom+xml")
    assert b"SECRET-AFTER-BOUNDARY" not in atom.content

    section = client.get("/feeds/sections/world/")
    titles = [i.findtext("title") for i in _xml(section.content).iter("item")]
    assert titles == [in_world.title]
    assert client.get("/feeds/sections/world/atom/").status_code == 200
    assert client.get("/feeds/sections/nope/").status_code == 404


def test_feeds_are_public_cacheable_and_set_no_cookie(client):
    ArticleFactory()
    response = client.get("/feeds/latest/")
    assert response["Cache-Control"].startswith("public") and response["ETag"]
    assert not response.cookies and "Cookie" not in response.get("Vary", "")
    assert client.get("/feeds/latest/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_sitemap_lists_public_articles_only(client):
    article = ArticleFactory()
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"/api/v1/articles/{article.slug}/" in body
    assert draft.slug not in body
    assert response["ETag"] and response["Cache-Control"].startswith("public")


def test_news_sitemap_has_last_two_days(client, settings):
    recent = ArticleFactory(title="Fresh & new")
    old = ArticleFactory(published_at=timezone.now() - timedelta(days=3))
    response = client.get("/sitemap-news.xml")
    assert response.status_code == 200
    tree = _xml(response.content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "news": "http://www.google.com/schemas/sitemap-news/0.9"}
    urls = tree.findall("s:url", ns)
    assert len(urls) == 1
    assert urls[0].findtext("s:loc", namespaces=ns).endswith(f"/api/v1/articles/{recent.slug}/")
    assert urls[0].findtext("news:news/news:publication/news:name", namespaces=ns) == settings.SITE_NAME
    assert urls[0].findtext("news:news/news:publication/news:language", namespaces=ns) == "en"
    assert urls[0].findtext("news:news/news:title", namespaces=ns) == "Fresh & new"
    assert old.slug not in response.content.decode()
