import pytest

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
