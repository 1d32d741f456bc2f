"""Per-request loaders for article children (see cms.graphql.dataloaders for how sync batching works here).

The selectors already join section and hero image and prefetch the ordered byline and tags, so for articles that
came from a selector the type resolvers read those caches and never touch a loader. The loaders below cover what
the selectors cannot batch (the paywall decisions of a whole page, related lists) and any article instance that
arrives without the prefetches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from articles import selectors
from articles.models import Article, ArticleAuthor, Author, Image, Section, Tag
from cms.graphql.context import request_reader
from cms.graphql.dataloaders import DataLoader
from paywall.services import AccessDecision, access_decide_many


class AuthorsByArticleIdLoader(DataLoader[int, list[Author]]):
    default = []

    def batch_load(self, keys):
        out: dict[int, list[Author]] = defaultdict(list)
        links = ArticleAuthor.objects.filter(article_id__in=keys).select_related("author").order_by("order", "id")
        for link in links:
            out[link.article_id].append(link.author)
        return out


class TagsByArticleIdLoader(DataLoader[int, list[Tag]]):
    default = []

    def batch_load(self, keys):
        out: dict[int, list[Tag]] = defaultdict(list)
        through = Article.tags.through.objects.filter(article_id__in=keys).select_related("tag")
        for row in through.order_by("tag__name", "tag_id"):
            out[row.article_id].append(row.tag)
        return out


class SectionByIdLoader(DataLoader[int, Section]):
    def batch_load(self, keys):
        return Section.objects.in_bulk(keys)


class ImageByIdLoader(DataLoader[int, Image]):
    def batch_load(self, keys):
        return Image.objects.in_bulk(keys)


class _ArticleKeyedLoader(DataLoader):
    """A loader whose batch needs the article instances, not just their ids."""

    def __new__(cls, info_or_context):
        loader = super().__new__(cls, info_or_context)
        if not hasattr(loader, "articles"):
            loader.articles = {}
        return loader

    def prime_articles(self, articles: Iterable[Article]) -> None:
        articles = list(articles)
        for article in articles:
            self.articles.setdefault(article.pk, article)
        self.prime_keys(a.pk for a in articles)

    def load_article(self, article: Article):
        self.articles.setdefault(article.pk, article)
        return self.load(article.pk)


class AccessDecisionByArticleIdLoader(_ArticleKeyedLoader):
    """The paywall's decision WITHOUT counting (`access_decide_many`) for every article of the request that shows
    a body/access/paywall outside the top-level `article(slug)`: one batch per page of articles."""

    def batch_load(self, keys) -> dict[int, AccessDecision]:
        reader = request_reader(self.context)
        return access_decide_many(reader=reader, articles=[self.articles[k] for k in keys])


class _ArticlesPerOwnerLoader(DataLoader):
    """A list of articles per owner (an article, an author) and `first`, for every announced owner in one
    `fetch_many` call per level of nesting and per `first`. Keys are (owner id, first); the `first` is only known
    when the field is asked for, so owners are announced (`prime_owners`) and keyed at the first load."""

    default = []

    def __new__(cls, info_or_context):
        loader = super().__new__(cls, info_or_context)
        if not hasattr(loader, "owners"):
            loader.owners = {}
        return loader

    def fetch_many(self, owners: list, *, limit: int) -> dict[int, list[Article]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def prime_owners(self, owners: Iterable) -> None:
        for owner in owners:
            self.owners.setdefault(owner.pk, owner)

    def load_for(self, owner, *, limit: int) -> list[Article]:
        self.owners.setdefault(owner.pk, owner)
        key = (owner.pk, limit)
        if key not in self._cache:
            for pk in self.owners:
                if (pk, limit) not in self._cache:
                    self._pending[(pk, limit)] = None
            self._dispatch()
        return self._cache[key]

    def batch_load(self, keys):
        by_limit: dict[int, list] = defaultdict(list)
        for pk, limit in keys:
            by_limit[limit].append(self.owners[pk])
        out = {}
        for limit, owners in by_limit.items():
            for pk, articles in self.fetch_many(owners, limit=limit).items():
                out[(pk, limit)] = articles
        articles_loaded(self.context, [a for articles in out.values() for a in articles])
        return out


class RelatedArticlesByArticleIdLoader(_ArticlesPerOwnerLoader):
    """`related(first)` of every announced article: `article_related_many`."""

    def fetch_many(self, owners: list[Article], *, limit: int) -> dict[int, list[Article]]:
        return selectors.article_related_many(articles=owners, limit=limit)


class LatestArticlesByAuthorIdLoader(_ArticlesPerOwnerLoader):
    """`latestArticles(first)` of every announced author: `author_latest_articles_many`."""

    def fetch_many(self, owners: list[Author], *, limit: int) -> dict[int, list[Article]]:
        return selectors.author_latest_articles_many(authors=owners, limit=limit)


def articles_loaded(context, articles: Iterable[Article]) -> None:
    """Announce a list of articles that resolvers will walk, so that their children load in one batch each."""
    articles = list(articles)
    if not articles:
        return
    AccessDecisionByArticleIdLoader(context).prime_articles(articles)
    RelatedArticlesByArticleIdLoader(context).prime_owners(articles)
    AuthorsByArticleIdLoader(context).prime_keys(
        a.pk for a in articles if getattr(a, "ordered_article_authors", None) is None
    )
    TagsByArticleIdLoader(context).prime_keys(a.pk for a in articles if getattr(a, "ordered_tags", None) is None)
    SectionByIdLoader(context).prime_keys(
        a.section_id for a in articles if a.section_id and not Article.section.is_cached(a)
    )
    ImageByIdLoader(context).prime_keys(
        a.hero_image_id for a in articles if a.hero_image_id and not Article.hero_image.is_cached(a)
    )
