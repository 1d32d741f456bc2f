"""What the article selectors load, and what it costs, the same on every database: a list page is 3 queries whatever
its length (select_related for section and hero image, one Prefetch each for the ordered byline and the tags), a
detail 3 statements too, loaded by `cms.core.db.rows` without the ORM's compilation (the article joined with its
section and hero image, the byline, the tags), both give the same attributes, and using any relation afterwards
costs none."""

import pickle
from datetime import timedelta

import pytest
from django.utils import timezone

from articles import selectors
from articles.models import Article
from articles.presenters import article_json_ld_body, article_json_ld_public, article_public
from articles.services.preview import preview_token_create
from cms.core.exceptions import NotFound
from tests.articles.factories import ArticleFactory, AuthorFactory, SectionFactory, TagFactory
from tests.articles.graphql.test_queries import _image

pytestmark = pytest.mark.django_db


def _relations(article: Article) -> dict:
    """Everything the renderers read from an article's relations."""
    return {
        "section": article.section.name if article.section else None,
        "hero_image": article.hero_image.renditions if article.hero_image else None,
        "byline": [(link.order, link.author.name, link.author.links) for link in article.ordered_article_authors],
        "authors": [author.slug for author in selectors.article_authors(article)],
        "tags": [tag.name for tag in selectors.article_tags(article)],
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
    )


def test_detail_loads_every_relation_in_three_queries(full_article, django_assert_num_queries):
    with django_assert_num_queries(3):  # article (+ section, hero image), byline with authors, tags
        article = selectors.article_get(slug=full_article.slug)
        loaded = _relations(article)  # using every relation costs nothing more
        article_public(article, base="http://testserver")
        article_json_ld_public(article=article, base="http://testserver")
        article_json_ld_body(article)

    assert loaded == {
        "section": "Coalition SOF",
        "hero_image": full_article.hero_image.renditions,
        "byline": [(0, "Zed", [{"label": "Site", "url": "https://zed.example"}]), (1, "Amy", [])],
        "authors": ["zed", "amy"],
        "tags": ["Army", "Drones", "Navy"],
    }
    assert article.get_deferred_fields() == {"search_vector"}  # never fetched for the public
    assert article.published_at.utcoffset() == timedelta(0)


def test_the_detail_and_the_list_load_the_same_relations(full_article):
    listed = next(a for a in selectors.article_list() if a.pk == full_article.pk)

    assert _relations(selectors.article_get(slug=full_article.slug)) == _relations(listed)
    token = preview_token_create(article=full_article)
    assert _relations(selectors.article_get_for_preview(slug=full_article.slug, token=token)) == _relations(listed)


def test_a_bare_article_has_empty_relations(django_assert_num_queries):
    bare = ArticleFactory(section=None)

    with django_assert_num_queries(3):
        article = selectors.article_get(slug=bare.slug)
        assert _relations(article) == {"section": None, "hero_image": None, "byline": [], "authors": [], "tags": []}


def test_relations_survive_the_snapshot_cache_round_trip(full_article, django_assert_num_queries):
    """The detail snapshot pickles the article into the cache; its relations must come back with it."""
    fresh = selectors.article_get(slug=full_article.slug)
    article = pickle.loads(pickle.dumps(fresh))  # noqa: S301 (our own bytes)

    with django_assert_num_queries(0):
        assert _relations(article) == _relations(fresh)


def test_the_prefetched_tags_stay_the_articles_own(full_article):
    """Further filtering of `article.tags` queries the article's tags only."""
    article = selectors.article_get(slug=full_article.slug)
    ArticleFactory(tags=[TagFactory(name="Elsewhere")])

    assert list(article.tags.filter(name__startswith="E")) == []
    assert article.tags.count() == 3


@pytest.mark.parametrize(
    "status, published_at",
    [
        (Article.Status.DRAFT, None),
        (Article.Status.SCHEDULED, timezone.now() + timedelta(days=1)),
        (Article.Status.ARCHIVED, timezone.now()),
        (Article.Status.PUBLISHED, None),
    ],
)
def test_only_published_articles_are_found(status, published_at):
    hidden = ArticleFactory()
    Article.objects.filter(pk=hidden.pk).update(status=status, published_at=published_at)

    with pytest.raises(NotFound):
        selectors.article_get(slug=hidden.slug)
    assert list(selectors.article_list()) == []


@pytest.mark.parametrize("slug", ["nope", "x' OR '1'='1", "a" * 400])
def test_unknown_and_hostile_slugs_are_not_found(slug):
    ArticleFactory()

    with pytest.raises(NotFound):
        selectors.article_get(slug=slug)


def _seed_list(n: int) -> None:
    authors, tags = AuthorFactory.create_batch(3), TagFactory.create_batch(3)
    for i in range(n):
        ArticleFactory(section=SectionFactory(), authors=authors[: i % 4], tags=tags[: (i + 1) % 4])


@pytest.mark.parametrize("n", [1, 50])
def test_a_list_page_costs_three_queries_for_1_or_50_articles(n, django_assert_max_num_queries):
    _seed_list(n)

    with django_assert_max_num_queries(3):  # articles (+ section, hero image), bylines, tags
        page = list(selectors.article_list()[:50])
        loaded = [_relations(article) for article in page]

    assert len(page) == n
    for article, relations in zip(page, loaded, strict=True):
        expected_byline = list(article.article_authors.order_by("order", "id").values_list("author__slug", flat=True))
        assert relations["authors"] == expected_byline
        assert relations["tags"] == sorted(t.name for t in article.tags.all())


def test_chained_and_value_querysets_keep_their_cost(full_article, django_assert_num_queries):
    qs = selectors.article_list()

    with django_assert_num_queries(3):
        first = qs.filter(section=full_article.section)[:1][0]
        assert [t.name for t in selectors.article_tags(first)] == ["Army", "Drones", "Navy"]
    with django_assert_num_queries(1):  # values() rows are not articles: nothing to prefetch
        assert list(qs.values_list("slug", flat=True)) == [full_article.slug]
    with django_assert_num_queries(1):  # an empty page prefetches nothing
        assert list(qs.filter(slug="nope")) == []
