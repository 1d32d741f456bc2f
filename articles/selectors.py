"""Reads of the newsroom's content. Visibility is enforced here, once: every public read starts from
`_public_articles()`, so REST, GraphQL, feeds and sitemaps agree on what the public may see.

Selectors return querysets that already carry the `select_related`/`prefetch_related` the response shapes need
(section, hero image, ordered authors, tags), so a list costs the same number of queries for 1 or 100 items.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from cms.core.exceptions import ApplicationError, NotFound

from .models import Article, ArticleAuthor, Author, Section, Tag


def _with_relations(qs: QuerySet[Article]) -> QuerySet[Article]:
    """What every article list item needs: section, hero image, authors in byline order, tags."""
    return qs.select_related("section", "hero_image").prefetch_related(
        Prefetch(
            "article_authors",
            queryset=ArticleAuthor.objects.select_related("author").order_by("order", "id"),
            to_attr="ordered_article_authors",
        ),
        Prefetch("tags", queryset=Tag.objects.order_by("name")),
    )


def article_authors(article: Article) -> list[Author]:
    """The byline in order; uses the prefetch from the selectors when present (no extra query)."""
    links = getattr(article, "ordered_article_authors", None)
    if links is None:
        links = article.article_authors.select_related("author").order_by("order", "id")
    return [link.author for link in links]


def _public_articles() -> QuerySet[Article]:
    return Article.objects.published()


def _slug_filter(model, *, field: str, slug: str):
    obj = model.objects.filter(slug=slug).first()
    if obj is None:
        raise ApplicationError(f"Unknown {field} '{slug}'.", code="unknown_slug", field=field)
    return obj


def article_search(qs: QuerySet[Article], *, search: str) -> QuerySet[Article]:
    """Full-text, ranked on PostgreSQL (websearch syntax); case-insensitive substring search on SQLite.

    On PostgreSQL the queryset is annotated with `search_rank`; `article_list` then orders by
    (-search_rank, -published_at, -id), and keyset pagination must use those three fields.
    """
    search = search.strip()
    if not search:
        return qs
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank
        from django.db.models import F, FloatField
        from django.db.models.functions import Cast

        query = SearchQuery(search, search_type="websearch", config="english")
        # Cast to double precision: ts_rank is a float4, whose text form does not round-trip through a cursor.
        rank = Cast(SearchRank(F("search_vector"), query), FloatField())
        return qs.filter(search_vector=query).annotate(search_rank=rank)
    return qs.filter(Q(title__icontains=search) | Q(dek__icontains=search) | Q(body__icontains=search))


def article_list(
    *,
    section: str | None = None,
    tag: str | None = None,
    author: str | None = None,
    search: str | None = None,
    published_after: datetime | None = None,
    published_before: datetime | None = None,
) -> QuerySet[Article]:
    """Published articles, newest first (`-published_at, -id`: the keyset that cursor pagination uses).

    With `search` on PostgreSQL the results are ranked: ordered by (-search_rank, -published_at, -id), and the
    queryset carries the `search_rank` annotation (paginate on those three). On SQLite search is a filter only.

    Unknown `section`/`tag`/`author` slugs raise ApplicationError naming the parameter (the client asked for
    something that does not exist; an empty list would hide the typo).
    """
    qs = _public_articles()
    if section:
        qs = qs.filter(section=_slug_filter(Section, field="section", slug=section))
    if tag:
        qs = qs.filter(tags=_slug_filter(Tag, field="tag", slug=tag))
    if author:
        qs = qs.filter(article_authors__author=_slug_filter(Author, field="author", slug=author))
    if published_after is not None:
        qs = qs.filter(published_at__gte=published_after)
    if published_before is not None:
        qs = qs.filter(published_at__lt=published_before)
    if search:
        qs = article_search(qs, search=search)
        if "search_rank" in qs.query.annotations:
            return _with_relations(qs).order_by("-search_rank", "-published_at", "-id")
    return _with_relations(qs).order_by("-published_at", "-id")


def article_get(*, slug: str) -> Article:
    """A published article by slug; drafts, scheduled and archived articles do not exist for the public."""
    article = _with_relations(_public_articles()).filter(slug=slug).first()
    if article is None:
        raise NotFound("Article not found.")
    return article


def article_get_for_preview(*, slug: str, token: str) -> Article:
    """Any article (draft, scheduled...) for the holder of a valid preview token issued for this slug."""
    from .services.preview import preview_token_verify

    article_id = preview_token_verify(token=token, slug=slug)
    if article_id is None:
        raise NotFound("Article not found.")
    article = _with_relations(Article.objects.all()).filter(pk=article_id, slug=slug).first()
    if article is None:
        raise NotFound("Article not found.")
    return article


def article_related(*, article: Article, limit: int = 5) -> list[Article]:
    """ "More from ...": hand-picked related articles first (in id order of selection), then the newest
    published articles sharing the section or a tag. Never the article itself, never a draft."""
    limit = max(0, min(int(limit), 100))
    if limit == 0:
        return []
    picked = list(
        _with_relations(
            _public_articles().filter(pk__in=article.related_articles.values("pk")).exclude(pk=article.pk)
        ).order_by("-published_at", "-id")[:limit]
    )
    if len(picked) >= limit:
        return picked
    similar = Q(tags__in=article.tags.values("pk"))
    if article.section_id:
        similar |= Q(section_id=article.section_id)
    more_ids = (
        _public_articles()
        .filter(similar)
        .exclude(pk=article.pk)
        .exclude(pk__in=[a.pk for a in picked])
        .order_by("-published_at", "-id")
        .values_list("pk", "published_at")
        .distinct()[: limit - len(picked)]
    )
    ids = [pk for pk, _ in more_ids]
    more = list(_with_relations(Article.objects.filter(pk__in=ids)).order_by("-published_at", "-id"))
    return picked + more


def article_related_many(*, articles: list[Article], limit: int = 5) -> dict[int, list[Article]]:
    """`article_related` for many articles at once (GraphQL `related` inside a list) in a constant number of
    queries: the same result per article. Candidates are ranked per section and per tag with a window function;
    the top `2 * limit + 1` of each is enough, since at most `limit` picked articles and the article itself are
    excluded from them."""
    from collections import defaultdict

    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    limit = max(0, min(int(limit), 100))
    out: dict[int, list[Article]] = {a.pk: [] for a in articles}
    if limit == 0 or not articles:
        return out
    ids = list(out)
    public_ids = _public_articles().values("pk")
    newest = [F("published_at").desc(), F("id").desc()]

    picked: dict[int, list[tuple]] = defaultdict(list)  # source id -> [(published_at, id)]
    hand_picked = Article.related_articles.through.objects.filter(from_article_id__in=ids, to_article_id__in=public_ids)
    for source, target, published in hand_picked.values_list(
        "from_article_id", "to_article_id", "to_article__published_at"
    ):
        if source != target:
            picked[source].append((published, target))
    for rows in picked.values():
        rows.sort(reverse=True)
        del rows[limit:]

    keep = 2 * limit + 1
    source_tags: dict[int, set[int]] = defaultdict(set)
    for article_id, tag_id in Article.tags.through.objects.filter(article_id__in=ids).values_list(
        "article_id", "tag_id"
    ):
        source_tags[article_id].add(tag_id)
    section_ids = {a.section_id for a in articles if a.section_id}
    by_section: dict[int, list[tuple]] = defaultdict(list)
    if section_ids:
        ranked = (
            _public_articles()
            .filter(section_id__in=section_ids)
            .annotate(rank=Window(RowNumber(), partition_by=[F("section_id")], order_by=newest))
            .filter(rank__lte=keep)
            .values_list("section_id", "published_at", "id")
        )
        for section_id, published, pk in ranked:
            by_section[section_id].append((published, pk))
    by_tag: dict[int, list[tuple]] = defaultdict(list)
    all_tags = set().union(*source_tags.values()) if source_tags else set()
    if all_tags:
        ranked = (
            Article.tags.through.objects.filter(tag_id__in=all_tags, article_id__in=public_ids)
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("tag_id")],
                    order_by=[F("article__published_at").desc(), F("article_id").desc()],
                )
            )
            .filter(rank__lte=keep)
            .values_list("tag_id", "article__published_at", "article_id")
        )
        for tag_id, published, pk in ranked:
            by_tag[tag_id].append((published, pk))

    chosen: dict[int, list[int]] = {}
    for article in articles:
        first = [pk for _, pk in picked.get(article.pk, [])]
        excluded = {article.pk, *first}
        candidates = set(by_section.get(article.section_id, [])) if article.section_id else set()
        for tag_id in source_tags.get(article.pk, ()):
            candidates.update(by_tag.get(tag_id, []))
        more = [pk for _, pk in sorted(candidates, reverse=True) if pk not in excluded][: limit - len(first)]
        chosen[article.pk] = first + more
    wanted = {pk for pks in chosen.values() for pk in pks}
    loaded = _with_relations(Article.objects.filter(pk__in=wanted)).in_bulk() if wanted else {}
    for source, pks in chosen.items():
        out[source] = [loaded[pk] for pk in pks if pk in loaded]
    return out


def section_list() -> QuerySet[Section]:
    return Section.objects.order_by("ordering", "name")


def section_get(*, slug: str) -> Section:
    section = Section.objects.filter(slug=slug).first()
    if section is None:
        raise NotFound("Section not found.")
    return section


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


def author_list() -> QuerySet[Author]:
    return Author.objects.order_by("name", "id")


def author_get(*, slug: str) -> Author:
    author = Author.objects.filter(slug=slug).first()
    if author is None:
        raise NotFound("Author not found.")
    return author


def author_latest_articles(*, author: Author, limit: int = 10) -> QuerySet[Article]:
    limit = max(0, min(int(limit), 100))
    qs = _public_articles().filter(article_authors__author=author)
    return _with_relations(qs).order_by("-published_at", "-id")[:limit]


def content_last_modified() -> datetime | None:
    """The newest change to public content (for Last-Modified on lists, feeds and sitemaps)."""
    from django.db.models import Max

    return _public_articles().aggregate(m=Max("updated_at"))["m"]
