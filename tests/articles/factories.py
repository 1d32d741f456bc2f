import factory
from django.utils import timezone
from django.utils.text import slugify

from articles.models import Article, ArticleAuthor, Author, Section, Tag
from articles.services import article_prepare

PARAGRAPHS = [
    "<p>Opening paragraph of the story, free for everyone.</p>",
    "<p>Second paragraph with more detail.</p>",
    "<p>Third paragraph closing the preview.</p>",
    "<p>SECRET-AFTER-BOUNDARY the paid part of the article.</p>",
    "<p>Fifth paragraph, also paid.</p>",
]


class _NamedFactory(factory.django.DjangoModelFactory):
    """Sections and tags: a name, and the slug made from it (an existing slug is reused)."""

    class Meta:
        abstract = True
        django_get_or_create = ("slug",)

    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class SectionFactory(_NamedFactory):
    class Meta:
        model = Section

    name = factory.Sequence(lambda n: f"Section {n}")


class TagFactory(_NamedFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"Tag {n}")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author
        django_get_or_create = ("slug",)

    name = factory.Faker("name")
    slug = factory.Sequence(lambda n: f"author-{n}")
    bio = "Veteran correspondent."


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published, metered article whose body has a sentence only after the preview boundary."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Article number {n}")
    slug = ""
    dek = "A short summary."
    body = "".join(PARAGRAPHS)
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    access_level = Article.AccessLevel.METERED
    section = factory.SubFactory(SectionFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        article = model_class(*args, **kwargs)
        article_prepare(article=article)
        article.save()
        return article

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if not create:
            return
        for order, author in enumerate(extracted or []):
            ArticleAuthor.objects.create(article=self, author=author, order=order)

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.add(*extracted)
