"""Reads of the newsroom's content. Visibility is enforced here: every public list starts from `_public_articles()`
(`Article.objects.published()`) and the one-article read checks the same rule on the instance (`Article.is_public`),
so REST, GraphQL, feeds and sitemaps agree on what the public may see.

Selectors return querysets that already carry the `select_related`/`prefetch_related` the response shapes need
(section, hero image, ordered authors, tags), so a list costs the same number of queries for 1 or 100 items.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.db import OperationalError, connection, connections, router, transaction
from django.db.models import F, Prefetch, QuerySet, Window
from django.db.models.functions import RowNumber

from cms.core.db.rows import model_columns, rows_load
from cms.core.exceptions import ApplicationError, NotFound, ServiceUnavailable

from .models import Article, ArticleAuthor, Author, Image, Section, Tag
from .search import ORDER_RELEVANCE, article_search, order_check, search_suggest  # noqa: F401 (the read API)


def _byline_prefetch() -> Prefetch:
    """The byline in order, each link with its author: `article.ordered_article_authors`."""
    return Prefetch(
        "article_authors",
        queryset=ArticleAuthor.objects.select_related("author").order_by("order", "id"),
        to_attr="ordered_article_authors",
    )


def _with_relations(qs: QuerySet[Article]) -> QuerySet[Article]:
    """What every article list item needs: section and hero image (joined), the byline in order with its authors
    and the tags in name order (one prefetch query each, whatever the number of articles)."""
    return qs.select_related("section", "hero_image").prefetch_related(
        _byline_prefetch(), Prefetch("tags", queryset=Tag.objects.order_by("name"), to_attr="ordered_tags")
    )


def article_authors(article: Article) -> list[Author]:
    """The byline in order; uses the prefetch from the selectors when present (no extra query)."""
    links = getattr(article, "ordered_article_authors", None)
    if links is None:
        links = article.article_authors.select_related("author").order_by("order", "id")
    return [link.author for link in links]


def article_tags(article: Article) -> list[Tag]:
    """The tags in name order; uses the prefetch from the selectors (`article.ordered_tags`) when present."""
    tags = getattr(article, "ordered_tags", None)
    return tags if tags is not None else list(article.tags.order_by("name"))


def _public_articles() -> QuerySet[Article]:
    # The search vector (a tsvector of the whole text) is only ever used inside SQL: never fetch it.
    return Article.objects.published().defer("search_vector")


def _slug_filter(model, *, field: str, slug: str):
    obj = model.objects.filter(slug=slug).first()
    if obj is None:
        raise ApplicationError(f"Unknown {field} '{slug}'.", code="unknown_slug", field=field)
    return obj


_QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped by statement_timeout


@contextmanager
def article_search_time_limit() -> Iterator[None]:
    """Bound the database time of the full-text search run inside the block (PostgreSQL).

    A ranked search ranks every article its words match, so its cost grows with the archive and the words: a few
    milliseconds for a precise query, seconds for common words in a million articles. The block runs in its own
    read transaction with `statement_timeout` set to `SEARCH_STATEMENT_TIMEOUT_MS` (0 = no limit); a statement
    that runs longer is stopped and the request answers 503 `search_timeout` naming `search`, instead of holding a
    database connection and a core for seconds. Inside an outer transaction the limit is not set (it would outlive
    the block); requests run in autocommit."""
    ms = int(settings.SEARCH_STATEMENT_TIMEOUT_MS or 0)
    alias = router.db_for_read(Article)
    db = connections[alias]
    if db.vendor != "postgresql" or ms <= 0 or db.in_atomic_block:
        yield
        return
    try:
        with transaction.atomic(using=alias):
            with db.cursor() as cursor:
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(ms)])
            yield
    except OperationalError as exc:
        if getattr(exc.__cause__, "pgcode", None) != _QUERY_CANCELED:
            raise
        raise ServiceUnavailable(
            "This search takes too long; add words to narrow it.", code="search_timeout", field="search"
        ) from exc


def article_list(
    *,
    section: str | None = None,
    tag: str | None = None,
    author: str | None = None,
    search: str | None = None,
    published_after: datetime | None = None,
    published_before: datetime | None = None,
    order: str | None = None,
) -> QuerySet[Article]:
    """Published articles, newest first (`-published_at, -id`: the keyset that cursor pagination uses).

    With `search` on PostgreSQL the results are ranked unless `order` is `newest` (`articles.search`): ordered by
    (-search_rank, -published_at, -id), and the queryset carries the `search_rank` annotation (paginate on those
    three). On SQLite search is a filter only. `order` other than relevance/newest: ApplicationError naming it.

    Unknown `section`/`tag`/`author` slugs raise ApplicationError naming the parameter (the client asked for
    something that does not exist; an empty list would hide the typo).
    """
    order = order_check(order)
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
        qs = article_search(qs, search=search, order=order or ORDER_RELEVANCE)
        if "search_rank" in qs.query.annotations:
            return _with_relations(qs).order_by("-search_rank", "-published_at", "-id")
    return _with_relations(qs).order_by("-published_at", "-id")


def article_get(*, slug: str) -> Article:
    """A published article by slug, with its relations (the same attributes as `_with_relations` gives a list);
    drafts, scheduled and archived articles do not exist for the public (`Article.is_public`, the instance form of
    `Article.objects.published()`). The detail's snapshot rebuilds through here whenever a reader opens an article
    that is not in the cache (the archive's long tail, and every article after a publish), so it is written for
    speed: three portable statements loaded by `cms.core.db.rows` (the article joined with its section and hero
    image, the byline, the tags), none of which the ORM compiles. The ORM's join cost four times the CPU
    (docs/caching.md, "The snapshot's rebuild")."""
    rows = rows_load(Article, _article_sql(), [slug], fields=_fetched(Article), joined=_ARTICLE_JOINED)
    if not rows or not rows[0].is_public:
        raise NotFound("Article not found.")
    article = rows[0]
    _byline_attach(article)
    _tags_attach(article)
    return article


_ARTICLE_JOINED = (("section", Section), ("hero_image", Image))  # what `_with_relations` joins for a list


@functools.cache
def _fetched(model) -> frozenset[str]:
    """The fields a public read loads: all but the search vector (a tsvector of the whole text, only ever used
    inside SQL: left deferred, as `_public_articles` defers it)."""
    return frozenset(f.name for f in model._meta.concrete_fields if f.name != "search_vector")


@functools.cache
def _article_sql() -> str:
    """One article by slug with its section and hero image (LEFT JOINs, as `select_related` writes them): one
    portable statement, identifiers from model metadata, quoted."""
    q, meta = connection.ops.quote_name, Article._meta
    columns = [model_columns(Article, table="a", fields=_fetched(Article))]
    joins = []
    for index, (name, related) in enumerate(_ARTICLE_JOINED):
        alias = f"j{index}"
        columns.append(model_columns(related, table=alias))
        fk, pk = q(meta.get_field(name).column), q(related._meta.pk.column)
        joins.append(f"LEFT JOIN {q(related._meta.db_table)} {alias} ON {alias}.{pk} = a.{fk}")
    return (
        f"SELECT {', '.join(columns)} FROM {q(meta.db_table)} a {' '.join(joins)} "  # noqa: S608
        f"WHERE a.{q(meta.get_field('slug').column)} = %s"
    )


@functools.cache
def _byline_sql() -> str:
    """The authors of one article in byline order, each row an Author followed by its link's id and order: one
    portable statement, identifiers from model metadata, quoted."""
    q, author, link = connection.ops.quote_name, Author._meta, ArticleAuthor._meta
    columns = model_columns(Author, table="a")
    link_id, order, article_id, author_id = (q(link.get_field(f).column) for f in ("id", "order", "article", "author"))
    return (
        f"SELECT {columns}, l.{link_id}, l.{order} "  # noqa: S608
        f"FROM {q(author.db_table)} a JOIN {q(link.db_table)} l ON l.{author_id} = a.{q(author.pk.column)} "
        f"WHERE l.{article_id} = %s ORDER BY l.{order}, l.{link_id}"
    )


def _byline_attach(article: Article) -> None:
    """`article.ordered_article_authors` (what `_byline_prefetch` gives a list) in one statement the ORM does not
    compile: a third of the ORM's cost for the same rows (in process, PostgreSQL; docs/caching.md)."""
    authors = rows_load(Author, _byline_sql(), [article.pk], extra=("byline_link_id", "byline_order"))
    article.ordered_article_authors = [
        ArticleAuthor(id=author.byline_link_id, article_id=article.pk, author=author, order=author.byline_order)
        for author in authors
    ]


@functools.cache
def _tags_sql() -> str:
    """The tags of one article in name order: one portable statement."""
    q, tag, through = connection.ops.quote_name, Tag._meta, Article.tags.through._meta
    article_id, tag_id = (q(through.get_field(f).column) for f in ("article", "tag"))
    name = q(tag.get_field("name").column)
    return (
        f"SELECT {model_columns(Tag, table='t')} FROM {q(tag.db_table)} t JOIN {q(through.db_table)} x "  # noqa: S608
        f"ON x.{tag_id} = t.{q(tag.pk.column)} WHERE x.{article_id} = %s ORDER BY t.{name}"
    )


def _tags_attach(article: Article) -> None:
    """`article.ordered_tags` (what `_with_relations` gives a list) in one statement the ORM does not compile."""
    article.ordered_tags = rows_load(Tag, _tags_sql(), [article.pk])


def article_get_for_preview(*, slug: str, token: str) -> Article:
    """Any article (draft, scheduled...) for the holder of a valid preview token issued for this slug."""
    from .services.preview import preview_token_verify

    article_id = preview_token_verify(token=token, slug=slug)
    if article_id is None:
        raise NotFound("Article not found.")
    article = Article.objects.select_related("section", "hero_image").filter(pk=article_id, slug=slug).first()
    if article is None:
        raise NotFound("Article not found.")
    _byline_attach(article)
    _tags_attach(article)
    return article


def article_related(*, article: Article, limit: int = 5) -> list[Article]:
    """ "More from ...": hand-picked related articles first (newest first), then the newest published articles
    sharing the section or a tag. Never the article itself, never a non-public article."""
    return article_related_many(articles=[article], limit=limit)[article.pk]


def _newest_per_group(qs: QuerySet, *, group: str, published_at: str, pk: str, depth: int) -> dict[int, list[tuple]]:
    """{group value: [(published_at, article id), ...]}: the `depth` newest rows of `qs` per group, in one query."""
    ranked = (
        qs.annotate(rn=Window(RowNumber(), partition_by=[F(group)], order_by=[F(published_at).desc(), F(pk).desc()]))
        .filter(rn__lte=depth)
        .values_list(group, published_at, pk)
    )
    out: dict[int, list[tuple]] = {}
    for key, when, article_id in ranked:
        out.setdefault(key, []).append((when, article_id))
    return out


def _hand_picked(ids: list[int]) -> dict[int, list[tuple]]:
    """{article id: [(published_at, id) of its public hand-picked related articles]}."""
    rows = (
        Article.related_articles.through.objects.filter(
            from_article_id__in=ids,
            to_article__status=Article.Status.PUBLISHED,
            to_article__published_at__isnull=False,
        )
        .exclude(to_article_id=F("from_article_id"))
        .values_list("from_article_id", "to_article__published_at", "to_article_id")
    )
    picked: dict[int, list[tuple]] = {pk: [] for pk in ids}
    for source, published_at, target in rows:
        picked[source].append((published_at, target))
    return picked


def _related_choose(*, article_id: int, picked: list[tuple], candidates: set[tuple], limit: int) -> list[int]:
    """Hand-picked first (newest first), then the newest candidates; never the article itself, no repeats."""
    chosen = [pk for _, pk in sorted(picked, reverse=True)[:limit]]
    for _, pk in sorted(candidates, reverse=True):
        if len(chosen) >= limit:
            break
        if pk != article_id and pk not in chosen:
            chosen.append(pk)
    return chosen


def article_related_many(*, articles: list[Article], limit: int = 5) -> dict[int, list[Article]]:
    """`article_related` for many articles at once, in a constant number of queries (7) whatever their number:
    for GraphQL `related` inside lists. Returns {article id: [related articles with list relations loaded]}."""
    limit = max(0, min(int(limit), 100))
    ids = [a.pk for a in articles]
    if limit == 0 or not ids:
        return {pk: [] for pk in ids}
    depth = 2 * limit + 1  # enough candidates per section/tag to survive excluding the article and its picks
    picked = _hand_picked(ids)
    tag_through = Article.tags.through
    tags_of: dict[int, set[int]] = {pk: set() for pk in ids}
    for article_id, tag_id in tag_through.objects.filter(article_id__in=ids).values_list("article_id", "tag_id"):
        tags_of[article_id].add(tag_id)
    section_ids = {a.section_id for a in articles if a.section_id}
    tag_ids = set().union(*tags_of.values())
    by_section = (
        _newest_per_group(
            _public_articles().filter(section_id__in=section_ids),
            group="section_id",
            published_at="published_at",
            pk="id",
            depth=depth,
        )
        if section_ids
        else {}
    )
    by_tag = (
        _newest_per_group(
            tag_through.objects.filter(
                tag_id__in=tag_ids, article__status=Article.Status.PUBLISHED, article__published_at__isnull=False
            ),
            group="tag_id",
            published_at="article__published_at",
            pk="article_id",
            depth=depth,
        )
        if tag_ids
        else {}
    )
    out: dict[int, list[int]] = {}
    for article in articles:
        candidates = set(by_section.get(article.section_id, []))
        for tag_id in tags_of[article.pk]:
            candidates.update(by_tag.get(tag_id, []))
        out[article.pk] = _related_choose(
            article_id=article.pk, picked=picked[article.pk], candidates=candidates, limit=limit
        )
    wanted = {pk for chosen in out.values() for pk in chosen}
    loaded = _with_relations(Article.objects.filter(pk__in=wanted)).in_bulk() if wanted else {}
    return {pk: [loaded[r] for r in chosen if r in loaded] for pk, chosen in out.items()}


def section_list() -> QuerySet[Section]:
    return Section.objects.order_by("ordering", "name")


def _get_by_slug(model, *, slug: str):
    obj = model.objects.filter(slug=slug).first()
    if obj is None:
        raise NotFound(f"{model._meta.verbose_name.capitalize()} not found.")
    return obj


def section_get(*, slug: str) -> Section:
    return _get_by_slug(Section, slug=slug)


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


def author_list() -> QuerySet[Author]:
    return Author.objects.order_by("name", "id")


def author_get(*, slug: str) -> Author:
    return _get_by_slug(Author, slug=slug)


def author_latest_articles(*, author: Author, limit: int = 10) -> QuerySet[Article]:
    limit = max(0, min(int(limit), 100))
    qs = _public_articles().filter(article_authors__author=author)
    return _with_relations(qs).order_by("-published_at", "-id")[:limit]


def author_latest_articles_many(*, authors: list[Author], limit: int = 10) -> dict[int, list[Article]]:
    """`author_latest_articles` for many authors in a constant number of queries (GraphQL `authors {
    latestArticles }`): bylines ranked per author with a window function, then one load with relations."""
    limit = max(0, min(int(limit), 100))
    out: dict[int, list[Article]] = {a.pk: [] for a in authors}
    if limit == 0 or not authors:
        return out
    ranked = (
        ArticleAuthor.objects.filter(author_id__in=list(out), article_id__in=_public_articles().values("pk"))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("author_id")],
                order_by=[F("article__published_at").desc(), F("article_id").desc()],
            )
        )
        .filter(rank__lte=limit)
        .order_by("author_id", "rank")
        .values_list("author_id", "article_id")
    )
    pairs = list(ranked)
    loaded = _with_relations(Article.objects.filter(pk__in={pk for _, pk in pairs})).in_bulk() if pairs else {}
    for author_id, article_id in pairs:
        if article_id in loaded:
            out[author_id].append(loaded[article_id])
    return out
