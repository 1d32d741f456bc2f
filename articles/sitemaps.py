"""/sitemap.xml (django.contrib.sitemaps) and /sitemap-news.xml (Google News: articles of the last 2 days).

URLs are absolute on the one base of absolute URLs (cms.core.links.site_base): `SITE_URL` when set, else the
request's scheme and host (the public page cache keys its copies by host).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.selectors import _public_articles, section_list
from cms.core.links import article_url, site_base

NEWS_MAX_URLS = 1000  # Google News sitemaps hold at most 1,000 URLs


class _ConfiguredSite:
    """What Sitemap.get_urls needs of a Site, from `SITE_URL`."""

    def __init__(self, site_url: str):
        parts = urlsplit(site_url)
        self.domain = parts.netloc
        self.name = settings.SITE_NAME
        self.protocol = parts.scheme or "https"


class _PublicSitemap(Sitemap):
    limit = 5000

    def get_urls(self, page=1, site=None, protocol=None):
        """Django's sitemap view passes the request's site and scheme; `SITE_URL`, when set, wins (as in
        `site_base`)."""
        if settings.SITE_URL:
            site = _ConfiguredSite(settings.SITE_URL)
            protocol = site.protocol
        return super().get_urls(page=page, site=site, protocol=protocol)


class ArticleSitemap(_PublicSitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return _public_articles().only("id", "slug", "updated_at", "published_at").order_by("-published_at", "-id")

    def location(self, item: Article) -> str:
        return item.get_absolute_url()

    def lastmod(self, item: Article):
        return item.updated_at


class SectionSitemap(_PublicSitemap):
    changefreq = "hourly"
    priority = 0.5

    def items(self):
        return section_list()

    def location(self, item) -> str:
        return reverse("api:section-detail", kwargs={"slug": item.slug})


SITEMAPS = {"articles": ArticleSitemap, "sections": SectionSitemap}


def sitemap_news(request) -> HttpResponse:
    """Google News sitemap: published in the last 2 days, newest first, with news:publication."""
    since = timezone.now() - timedelta(days=2)
    articles = (
        _public_articles()
        .filter(published_at__gte=since)
        .only("id", "slug", "title", "published_at")
        .order_by("-published_at", "-id")[:NEWS_MAX_URLS]
    )
    name = escape(settings.SITE_NAME)
    base = site_base(request)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">',
    ]
    for article in articles:
        lines.append(
            "<url>"
            f"<loc>{escape(article_url(article, base=base))}</loc>"
            "<news:news>"
            f"<news:publication><news:name>{name}</news:name><news:language>en</news:language></news:publication>"
            f"<news:publication_date>{article.published_at.isoformat()}</news:publication_date>"
            f"<news:title>{escape(article.title)}</news:title>"
            "</news:news>"
            "</url>"
        )
    lines.append("</urlset>")
    return HttpResponse("\n".join(lines), content_type="application/xml; charset=utf-8")


__all__ = ["SITEMAPS", "sitemap_news"]
