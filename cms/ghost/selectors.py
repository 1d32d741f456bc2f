"""The Ghost API's reads: published posts, pages, authors, sections and tags, carrying exactly the relations the
presenters need, so a browse costs the same number of queries for 1 or 100 items."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from articles.models import Article, ArticleAuthor, Author, Page, Section, Tag

PUBLISHED = Q(status=Article.Status.PUBLISHED, published_at__isnull=False)


def posts_public(q: Q | None = None) -> QuerySet[Article]:
    """Published articles (the public's visibility rule), filtered by `q` through a subquery (an OR across
    relations never duplicates a post). The search vector is never fetched."""
    qs = Article.objects.filter(PUBLISHED).defer("search_vector")
    if q is not None:
        qs = qs.filter(pk__in=Article.objects.filter(q).values("pk"))
    return qs


def posts_with_relations(qs: QuerySet[Article]) -> QuerySet[Article]:
    """Section, hero image, the byline in order (`ordered_article_authors`, as the paywall's author check reads
    it) and the tags: two prefetch queries whatever the number of posts."""
    return qs.select_related("section", "hero_image").prefetch_related(
        Prefetch(
            "article_authors",
            queryset=ArticleAuthor.objects.select_related("author").order_by("order", "id"),
            to_attr="ordered_article_authors",
        ),
        Prefetch("tags", queryset=Tag.objects.order_by("name")),
    )


def pages_public(q: Q | None = None) -> QuerySet[Page]:
    qs = Page.objects.filter(status=Page.Status.PUBLISHED, published_at__isnull=False).select_related("feature_image")
    if q is not None:
        qs = qs.filter(pk__in=Page.objects.filter(q).values("pk"))
    return qs


def _published_count(relation: str) -> Count:
    return Count(
        relation,
        filter=Q(**{f"{relation}__status": Article.Status.PUBLISHED, f"{relation}__published_at__isnull": False}),
        distinct=True,
    )


def _public(model, q: Q | None, *, with_counts: bool) -> QuerySet:
    """Every row of `model` (authors, sections and tags are all public), filtered by `q` (an NQL filter, which may
    join, hence the `pk__in`) and, if asked, annotated with its published posts' count."""
    qs = model.objects.all()
    if q is not None:
        qs = qs.filter(pk__in=model.objects.filter(q).values("pk"))
    if with_counts:
        qs = qs.annotate(posts_count=_published_count("articles"))
    return qs


def authors_public(q: Q | None = None, *, with_counts: bool = False) -> QuerySet[Author]:
    return _public(Author, q, with_counts=with_counts)


def sections_public(q: Q | None = None, *, with_counts: bool = False) -> QuerySet[Section]:
    return _public(Section, q, with_counts=with_counts)


def tags_public(q: Q | None = None, *, with_counts: bool = False) -> QuerySet[Tag]:
    return _public(Tag, q, with_counts=with_counts)


def posts_with_inline_relations(qs: QuerySet[Article]) -> QuerySet[Article]:
    """For streaming (`limit=all`): the byline and tags as JSON arrays in the posts' own SELECT (PostgreSQL), so a
    server-side cursor reads everything in one statement whatever the number of posts, where a prefetch would add
    two queries per chunk. `inline_relations_attach` turns the arrays into the objects the presenters read."""
    from django.contrib.postgres.aggregates import JSONBAgg
    from django.db.models import OuterRef, Subquery
    from django.db.models.functions import JSONObject

    author_fields = {f: f"author__{f}" for f in ("name", "slug", "bio", "avatar", "links", "user_id")}
    authors = (
        ArticleAuthor.objects.filter(article_id=OuterRef("pk"))
        .order_by()
        .values("article_id")
        .annotate(rows=JSONBAgg(JSONObject(id="author_id", **author_fields), order_by=("order", "id")))
        .values("rows")
    )
    tags = (
        Article.tags.through.objects.filter(article_id=OuterRef("pk"))
        .order_by()
        .values("article_id")
        .annotate(rows=JSONBAgg(JSONObject(id="tag_id", name="tag__name", slug="tag__slug"), order_by=("tag__name",)))
        .values("rows")
    )
    return qs.select_related("section", "hero_image").annotate(
        inline_authors=Subquery(authors), inline_tags=Subquery(tags)
    )


def inline_relations_attach(article: Article) -> Article:
    """Set `ordered_article_authors` (as the paywall and presenters read it) and `tag_list` from the JSON arrays."""
    article.ordered_article_authors = [
        ArticleAuthor(article_id=article.pk, author_id=row["id"], author=Author(**{**row, "user_id": row["user_id"]}))
        for row in (article.inline_authors or [])
    ]
    article.tag_list = [Tag(**row) for row in (article.inline_tags or [])]
    return article
