"""`cms.core.db.rows.rows_load` makes the instances the ORM would: every value converted as the ORM converts it
(aware datetimes, JSON, files), the fields not selected left deferred, extra columns set as attributes, and the
read sent where the router sends reads. The embedded default's test (tests/core/test_embedded_default.py) checks
the same on SQLite."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from articles.models import Article, Author, Image, Section
from cms.core.db.rows import model_columns, rows_load
from tests.articles.factories import ArticleFactory, AuthorFactory, SectionFactory
from tests.articles.graphql.test_queries import _image

pytestmark = pytest.mark.django_db
User = get_user_model()


def _values(instance, fields=None) -> dict:
    meta = type(instance)._meta
    return {f.attname: getattr(instance, f.attname) for f in meta.concrete_fields if fields is None or f.name in fields}


def _one(model, pk, **kwargs):
    q = connection.ops.quote_name
    sql = f"SELECT {model_columns(model, fields=kwargs.get('fields'))} FROM {q(model._meta.db_table)} WHERE id = %s"  # noqa: S608
    return rows_load(model, sql, [pk], **kwargs)


def test_every_value_is_converted_as_the_orm_converts_it():
    image = _image()
    author = AuthorFactory(links=[{"label": "Site", "url": "https://example.org"}])
    user = User.objects.create_user(email="rows@example.org", password="x" * 12)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())

    for model, pk in ((Image, image.pk), (Author, author.pk), (User, user.pk)):
        (loaded,) = _one(model, pk)
        assert _values(loaded) == _values(model.objects.get(pk=pk)), model
        assert loaded._meta.model is model and loaded.pk == pk
    (loaded,) = _one(Image, image.pk)
    assert loaded.renditions[0]["format"] == "webp"  # JSON, not its text
    assert loaded.file.url.endswith(".gif")  # the file descriptor works
    assert loaded.created_at.utcoffset() is not None  # aware


def test_fields_not_selected_stay_deferred_and_extra_columns_are_attributes():
    article = ArticleFactory()
    fields = frozenset({"id", "title", "published_at"})
    q = connection.ops.quote_name
    sql = f"SELECT {model_columns(Article, fields=fields)}, 41 + 1 FROM {q(Article._meta.db_table)} WHERE id = %s"  # noqa: S608

    (loaded,) = rows_load(Article, sql, [article.pk], fields=fields, extra=("answer",))

    assert loaded.answer == 42
    assert _values(loaded, fields) == _values(Article.objects.get(pk=article.pk), fields)
    assert loaded.get_deferred_fields() == {f.attname for f in Article._meta.concrete_fields} - {
        "id",
        "title",
        "published_at",
    }


def test_joined_models_are_set_through_their_relation_or_none():
    with_all = ArticleFactory(section=SectionFactory(name="Coalition SOF"), hero_image=_image())
    bare = ArticleFactory(section=None)
    q = connection.ops.quote_name
    sql = (
        f"SELECT {model_columns(Article, table='a')}, {model_columns(Section, table='s')}, "  # noqa: S608
        f"{model_columns(Image, table='i')}, 7 FROM {q(Article._meta.db_table)} a "
        f"LEFT JOIN {q(Section._meta.db_table)} s ON s.id = a.section_id "
        f"LEFT JOIN {q(Image._meta.db_table)} i ON i.id = a.hero_image_id WHERE a.id IN (%s, %s) ORDER BY a.id"
    )

    full, empty = rows_load(
        Article, sql, [with_all.pk, bare.pk], joined=(("section", Section), ("hero_image", Image)), extra=("seven",)
    )

    orm = Article.objects.select_related("section", "hero_image").get(pk=with_all.pk)
    assert _values(full) == _values(orm) and full.seven == 7
    assert _values(full.section) == _values(orm.section) and full.section.name == "Coalition SOF"
    assert _values(full.hero_image) == _values(orm.hero_image)
    assert full.hero_image.renditions[0]["format"] == "webp"
    assert empty.section is None and empty.hero_image is None and empty.seven == 7


def test_no_row_is_an_empty_list():
    assert _one(Author, 10**12) == []


def test_the_select_list_follows_the_models_field_order_whatever_the_order_asked():
    fields = frozenset({"title", "id"})
    q = connection.ops.quote_name
    assert model_columns(Article, fields=fields) == f"{q('id')}, {q('title')}"
    assert model_columns(Article, table="a", fields=fields) == f"a.{q('id')}, a.{q('title')}"
