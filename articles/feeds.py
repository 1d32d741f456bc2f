"""RSS 2.0 and Atom feeds of the latest articles, overall and per section.

Feeds are public and identical for everyone, so they are decided for an anonymous reader without an id
(`access_decide_many`, which never counts): a free article carries its full body, any other article its dek and
the server-cut preview only. The full text of a non-free article never appears in a feed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed

from articles.models import Article
from articles.selectors import article_authors, article_list, section_get
from cms.api.links import absolute_url, article_url
from cms.core.exceptions import NotFound
from paywall.readers import Reader
from paywall.services import access_decide_many, article_body_for

FEED_SIZE = 30


def _with_feed_bodies(articles: list[Article]) -> list[Article]:
    decisions = access_decide_many(reader=Reader(anon_id=None), articles=articles)
    for article in articles:
        body, is_preview = article_body_for(article=article, decision=decisions[article.pk])
        article.feed_body = body
        article.feed_is_preview = is_preview
    return articles


class LatestArticlesFeed(Feed):
    description_template = None

    def title(self, obj=None) -> str:
        return settings.SITE_NAME

    def link(self, obj=None) -> str:
        return absolute_url("/")

    def description(self, obj=None) -> str:
        return f"The latest from {settings.SITE_NAME}."

    def items(self, obj=None):
        return _with_feed_bodies(list(article_list()[:FEED_SIZE]))

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        dek = f"<p>{item.dek}</p>" if item.dek else ""
        if item.feed_is_preview:
            return dek + item.feed_body
        return item.feed_body or dek

    def item_link(self, item: Article) -> str:
        return article_url(item)

    def item_guid(self, item: Article) -> str:
        return article_url(item)

    def item_pubdate(self, item: Article):
        return item.published_at

    def item_updateddate(self, item: Article):
        return item.updated_at

    def item_author_name(self, item: Article) -> str | None:
        names = [a.name for a in article_authors(item)]
        return ", ".join(names) or None

    def item_categories(self, item: Article) -> list[str]:
        categories = [item.section.name] if item.section_id else []
        return categories + [t.name for t in item.tags.all()]


class LatestArticlesAtomFeed(LatestArticlesFeed):
    feed_type = Atom1Feed
    subtitle = LatestArticlesFeed.description


class SectionArticlesFeed(LatestArticlesFeed):
    def get_object(self, request, slug: str):
        from django.http import Http404

        try:
            return section_get(slug=slug)
        except NotFound:
            raise Http404("Section not found.") from None

    def title(self, obj=None) -> str:
        return f"{settings.SITE_NAME}: {obj.name}"

    def description(self, obj=None) -> str:
        return obj.description or f"The latest in {obj.name} from {settings.SITE_NAME}."

    def items(self, obj=None):
        return _with_feed_bodies(list(article_list(section=obj.slug)[:FEED_SIZE]))


class SectionArticlesAtomFeed(SectionArticlesFeed):
    feed_type = Atom1Feed
    subtitle = SectionArticlesFeed.description
