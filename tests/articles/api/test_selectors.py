import pytest
from django.db.models import Q

from articles import selectors
from articles.models import Article
from cms.core.exceptions import ApplicationError, NotFound
from tests.articles.factories import ArticleFactory, AuthorFactory, SectionFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_article_list_is_public_newest_first_with_filters():
    # given
    world = SectionFactory(name="World")
    tag = TagFactory(name="Navy")
    author = AuthorFactory()
    old = ArticleFactory(section=world, tags=[tag], authors=[author])
    new = ArticleFactory(section=world)
    ArticleFactory(status=Article.Status.DRAFT, published_at=None)

    # then
    assert list(selectors.article_list()) == [new, old]
    assert list(selectors.article_list(tag=tag.slug)) == [old]
    assert list(selectors.article_list(author=author.slug)) == [old]
    assert list(selectors.article_list(section="world")) == [new, old]


@pytest.mark.parametrize("field", ["section", "tag", "author"])
def test_article_list_unknown_slug_names_the_field(field):
    with pytest.raises(ApplicationError) as exc:
        selectors.article_list(**{field: "nope"})
    assert exc.value.field == field


def test_article_get_hides_drafts():
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    with pytest.raises(NotFound):
        selectors.article_get(slug=draft.slug)


def test_article_related_hand_picked_first_then_same_section():
    section = SectionFactory()
    article = ArticleFactory(section=section)
    same_section = ArticleFactory(section=section)
    picked = ArticleFactory()
    ArticleFactory()  # unrelated
    article.related_articles.add(picked)

    assert selectors.article_related(article=article, limit=5) == [picked, same_section]


def test_article_related_many_matches_single_and_costs_constant_queries(django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sections = [SectionFactory(), SectionFactory()]
    tags = [TagFactory(), TagFactory()]
    articles = [ArticleFactory(section=sections[i % 2], tags=[tags[i % 2]] if i % 3 else []) for i in range(12)]
    articles[0].related_articles.add(articles[5], articles[7])
    articles[3].related_articles.add(articles[0])
    ArticleFactory(section=sections[0], status=Article.Status.DRAFT, published_at=None)

    def run(sources):
        with CaptureQueriesContext(connection) as ctx:
            result = selectors.article_related_many(articles=sources, limit=3)
        return result, len(ctx.captured_queries)

    one, one_count = run(articles[:1])
    many, many_count = run(articles)
    assert one_count <= 7 and many_count <= 7  # constant: 12 sources cost no more than the fixed 7
    assert many[articles[0].pk][:2] == [articles[7], articles[5]]  # hand-picked first, newest first
    public = Article.objects.published().order_by("-published_at", "-id")
    for article in articles:  # against a naive reference: picks newest first, then section/tag siblings
        picks = list(public.filter(pk__in=article.related_articles.all()).exclude(pk=article.pk))[:3]
        similar = Q(section=article.section) | Q(tags__in=article.tags.all())
        rest = [a for a in public.filter(similar).exclude(pk=article.pk).distinct() if a not in picks]
        assert many[article.pk] == (picks + rest)[:3]
    assert one[articles[0].pk] == many[articles[0].pk]
