"""`article_get` on PostgreSQL loads an article in one statement (articles/selectors_sql.py). It must build exactly
what the ORM path builds (SQLite's, and the reference): every field, the section, the hero image, the byline in
order with its authors, the tags in name order, with no further query when they are used, and the same visibility."""

import pickle
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from articles import selectors
from articles.api.json_ld import article_json_ld_body, article_json_ld_public
from articles.api.serializers import article_detail_public_representation
from articles.models import Article
from articles.selectors_sql import article_row_get
from cms.core.exceptions import NotFound
from tests.articles.factories import ArticleFactory, AuthorFactory, SectionFactory, TagFactory
from tests.articles.graphql.test_queries import _image

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's"),
]


def _orm_get(slug: str) -> Article:
    return selectors._with_relations(selectors._public_articles()).filter(slug=slug).first()


def _values(obj) -> dict:
    if obj is None:
        return None
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname != "search_vector"}


def _loaded(article: Article) -> dict:
    """Everything the renderers read, with the relations as the loader left them."""
    return {
        "article": _values(article),
        "deferred": article.get_deferred_fields(),
        "section": _values(article.section),
        "hero_image": _values(article.hero_image),
        "byline": [(_values(link), _values(link.author)) for link in article.ordered_article_authors],
        "tags": [_values(tag) for tag in article.tags.all()],
    }


@pytest.fixture
def full_article():
    zed = AuthorFactory(name="Zed", slug="zed", links=[{"label": "Site", "url": "https://zed.example"}])
    amy = AuthorFactory(name="Amy", slug="amy")
    navy, army, drones = TagFactory(name="Navy"), TagFactory(name="Army"), TagFactory(name="Drones")
    return ArticleFactory(
        section=SectionFactory(name="Coalition SOF"),
        hero_image=_image(),
        authors=[zed, amy],  # byline order differs from id and name order
        tags=[navy, drones, army],  # insertion order differs from name order
        source_name="The Voice of America",
        source_url="https://www.voanews.com/a/example",
        comment_count=3,
    )


def test_one_statement_builds_what_the_orm_builds(full_article, django_assert_num_queries):
    # when
    with django_assert_num_queries(1):
        article = selectors.article_get(slug=full_article.slug)
        loaded = _loaded(article)  # using every relation costs nothing more

    # then
    expected = _loaded(_orm_get(full_article.slug))
    assert loaded == expected
    assert [author["name"] for _, author in loaded["byline"]] == ["Zed", "Amy"]
    assert [tag["name"] for tag in loaded["tags"]] == ["Army", "Drones", "Navy"]
    assert loaded["hero_image"]["renditions"][0]["format"] == "webp"  # jsonb decoded like the ORM decodes it
    assert loaded["byline"][0][1]["links"] == [{"label": "Site", "url": "https://zed.example"}]
    assert article.published_at.utcoffset() == timedelta(0)


def test_renderings_are_identical(full_article):
    sql_article, orm_article = selectors.article_get(slug=full_article.slug), _orm_get(full_article.slug)

    assert article_detail_public_representation(sql_article) == article_detail_public_representation(orm_article)
    assert article_json_ld_public(article=sql_article) == article_json_ld_public(article=orm_article)
    assert article_json_ld_body(sql_article) == article_json_ld_body(orm_article)


def test_bare_article_has_empty_relations():
    bare = ArticleFactory(section=None)

    article = article_row_get(slug=bare.slug)

    assert article.section is None and article.hero_image is None
    assert article.ordered_article_authors == [] and list(article.tags.all()) == []
    assert _loaded(article) == _loaded(_orm_get(bare.slug))


@pytest.mark.parametrize(
    "status, published_at",
    [
        (Article.Status.DRAFT, None),
        (Article.Status.SCHEDULED, timezone.now() + timedelta(days=1)),
        (Article.Status.ARCHIVED, timezone.now()),
        (Article.Status.PUBLISHED, None),
    ],
)
def test_same_visibility_as_the_orm(status, published_at):
    hidden = ArticleFactory()
    Article.objects.filter(pk=hidden.pk).update(status=status, published_at=published_at)

    assert _orm_get(hidden.slug) is None
    assert article_row_get(slug=hidden.slug) is None
    with pytest.raises(NotFound):
        selectors.article_get(slug=hidden.slug)


def test_unknown_slug_and_hostile_input_are_parameters():
    ArticleFactory()

    assert article_row_get(slug="nope") is None
    assert article_row_get(slug="x' OR '1'='1") is None


def test_survives_the_snapshot_cache_round_trip(full_article, django_assert_num_queries):
    """The detail snapshot pickles the article into the cache; the relations must come back with it."""
    article = pickle.loads(pickle.dumps(selectors.article_get(slug=full_article.slug)))  # noqa: S301 (our own bytes)
    expected = _loaded(_orm_get(full_article.slug))

    with django_assert_num_queries(0):
        assert _loaded(article) == expected


def test_tags_queryset_is_the_articles_own(full_article):
    """Further filtering of `article.tags` queries the article's tags only, as after an ORM prefetch."""
    article = selectors.article_get(slug=full_article.slug)
    other = TagFactory(name="Elsewhere")
    ArticleFactory(tags=[other])

    assert list(article.tags.filter(name__startswith="E")) == []
    assert article.tags.count() == 3


def _orm_list(ids) -> list[Article]:
    from django.db.models import Prefetch

    from articles.models import ArticleAuthor, Tag

    return list(
        Article.objects.filter(pk__in=ids)
        .defer("search_vector")
        .select_related("section", "hero_image")
        .prefetch_related(
            Prefetch(
                "article_authors",
                queryset=ArticleAuthor.objects.select_related("author").order_by("order", "id"),
                to_attr="ordered_article_authors",
            ),
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
        )
        .order_by("-published_at", "-id")
    )


@pytest.mark.parametrize("n", [1, 30])
def test_a_list_loads_bylines_and_tags_in_one_statement(n, full_article, django_assert_num_queries):
    """`_with_relations` on PostgreSQL: the list query plus one statement for every byline and tag, for 1 or 30
    articles, building what the two ORM prefetches build."""
    authors, tags = AuthorFactory.create_batch(3), TagFactory.create_batch(3)
    others = [ArticleFactory(authors=authors[: i % 4], tags=tags[: (i + 1) % 4]) for i in range(n - 1)]
    ids = [full_article.pk, *[a.pk for a in others]]

    with django_assert_num_queries(2):
        articles = list(selectors.article_list().filter(pk__in=ids))
        loaded = [_loaded(a) for a in articles]

    assert len(articles) == n
    assert loaded == [_loaded(a) for a in _orm_list(ids)]


def test_the_list_loader_survives_chaining_and_skips_non_model_results(full_article, django_assert_num_queries):
    qs = selectors.article_list()

    with django_assert_num_queries(2):
        first = qs.filter(section=full_article.section)[:1][0]
        assert [t.name for t in first.tags.all()] == ["Army", "Drones", "Navy"]
    with django_assert_num_queries(1):  # values() rows are not articles: nothing to attach
        assert list(qs.values_list("slug", flat=True)) == [full_article.slug]
    with django_assert_num_queries(1):
        assert list(qs.filter(slug="nope")) == []
