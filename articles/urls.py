"""Public non-API URLs of the newsroom: feeds and sitemaps. All public, cached, ETag/304 (cms.core.caching)."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from cms.core.caching import public_cache_page

from .feeds import LatestArticlesAtomFeed, LatestArticlesFeed, SectionArticlesAtomFeed, SectionArticlesFeed
from .sitemaps import SITEMAPS, sitemap_news

urlpatterns = [
    path("feeds/latest/", public_cache_page(LatestArticlesFeed()), name="feed-latest"),
    path("feeds/latest/atom/", public_cache_page(LatestArticlesAtomFeed()), name="feed-latest-atom"),
    path("feeds/sections/<slug:slug>/", public_cache_page(SectionArticlesFeed()), name="feed-section"),
    path("feeds/sections/<slug:slug>/atom/", public_cache_page(SectionArticlesAtomFeed()), name="feed-section-atom"),
    path(
        "sitemap.xml",
        public_cache_page(sitemap),
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("sitemap-news.xml", public_cache_page(sitemap_news), name="sitemap-news"),
]
