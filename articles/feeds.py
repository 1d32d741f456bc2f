"""RSS 2.0 and Atom feeds of the latest articles, overall and per section.

Feeds are public and identical for everyone, so they are decided for an anonymous reader without an id
(`access_decide_many`, which never counts): a free article carries its full body, any other article its dek and
the server-cut preview only. The full text of a non-free article never appears in a feed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.utils.feedgenerator import Atom1Feed

from articles import presenters
from articles.models import Article, Section
from articles.selectors import article_list, section_get
from cms.core.exceptions import NotFound
from cms.core.links import absolute_url, article_url, site_base
from paywall.readers import Reader
from paywall.services import access_decide_many, article_body_for

FEED_SIZE = 30


@dataclass(frozen=True)
class FeedScope:
    """What one feed request is about (Django passes it to every feed method as `obj`): the start of absolute URLs
    (cms.core.links.site_base) and, for a section's feed, the section."""

    base: str
    section: Section | None = None


def _feed_items(scope: FeedScope) -> list[Article]:
    """The latest articles with what a feed item shows: the body or preview this anonymous reader may read, and the
    item's absolute URL."""
    articles = list(article_list(section=scope.section.slug if scope.section else None)[:FEED_SIZE])
    decisions = access_decide_many(reader=Reader(anon_id=None), articles=articles)
    for article in articles:
        body, is_preview = article_body_for(article=article, decision=decisions[article.pk])
        article.feed_body = body
        article.feed_is_preview = is_preview
        article.feed_url = article_url(article, base=scope.base)
    return articles


class LatestArticlesFeed(Feed):
    description_template = None

    def get_object(self, request, *args, **kwargs) -> FeedScope:
        return FeedScope(base=site_base(request))

    def title(self, obj: FeedScope) -> str:
        return settings.SITE_NAME

    def link(self, obj: FeedScope) -> str:
        return absolute_url("/", base=obj.base)

    def description(self, obj: FeedScope) -> str:
        return f"The latest from {settings.SITE_NAME}."

    def items(self, obj: FeedScope):
        return _feed_items(obj)

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        dek = f"<p>{item.dek}</p>" if item.dek else ""
        if item.feed_is_preview:
            return dek + item.feed_body
        return item.feed_body or dek

    def item_link(self, item: Article) -> str:
        return item.feed_url

    def item_guid(self, item: Article) -> str:
        return item.feed_url

    def item_pubdate(self, item: Article):
        return item.published_at

    def item_updateddate(self, item: Article):
        return item.updated_at

    def item_author_name(self, item: Article) -> str | None:
        return presenters.article_byline_text(item)

    def item_categories(self, item: Article) -> list[str]:
        return presenters.article_categories(item)


class LatestArticlesAtomFeed(LatestArticlesFeed):
    feed_type = Atom1Feed
    subtitle = LatestArticlesFeed.description


class SectionArticlesFeed(LatestArticlesFeed):
    def get_object(self, request, slug: str) -> FeedScope:
        try:
            return FeedScope(base=site_base(request), section=section_get(slug=slug))
        except NotFound:
            raise Http404("Section not found.") from None

    def title(self, obj: FeedScope) -> str:
        return f"{settings.SITE_NAME}: {obj.section.name}"

    def description(self, obj: FeedScope) -> str:
        section = obj.section
        return section.description or f"The latest in {section.name} from {settings.SITE_NAME}."


class SectionArticlesAtomFeed(SectionArticlesFeed):
    feed_type = Atom1Feed
    subtitle = SectionArticlesFeed.description
