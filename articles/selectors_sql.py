"""One-statement article loading on PostgreSQL, for `selectors.article_get`.

The ORM loads an article with its section, hero image, byline and tags in three queries (one join, two prefetches)
and spends most of that time compiling SQL and building querysets, not in PostgreSQL: about 5 ms of Python for a
cold article detail. `article_row_get` asks the same question in one parameterised statement (the byline and tags
come back as JSON arrays from correlated subqueries) and builds the same objects the ORM would:

- `Article` with `search_vector` deferred, `section` and `hero_image` cached as `select_related` caches them;
- `ordered_article_authors`: the `ArticleAuthor` links in byline order, each with its `author` loaded;
- `tags`: a prefetched queryset in name order, so `article.tags.all()` costs no query.

The statement is built once per process from the models' metadata (table and column names are identifiers from
`_meta`, quoted; the slug is the only parameter), so a new field is picked up without touching this module. The
parity test (tests/articles/test_selectors_sql.py) compares every field and relation with the ORM's result.
"""

from __future__ import annotations

import json
from functools import lru_cache

from django.db import connections, router
from django.db.models import JSONField

from .models import Article, ArticleAuthor, Author, Image, Section, Tag

_DEFERRED = frozenset({"search_vector"})


def _q(name: str) -> str:
    return f'"{name}"'  # PostgreSQL identifier quoting (connection.ops.quote_name without the connection)


def _fields(model, *, deferred=frozenset()) -> list:
    return [f for f in model._meta.concrete_fields if f.attname not in deferred]


def _select(alias: str, fields) -> str:
    return ", ".join(f"{alias}.{_q(f.column)}" for f in fields)


def _json_array(alias: str, fields) -> str:
    return "json_build_array(" + ", ".join(f"{alias}.{_q(f.column)}" for f in fields) + ")"


@lru_cache(maxsize=1)
def _statement() -> tuple[str, tuple, tuple, tuple, tuple, tuple, tuple]:
    article_fields = tuple(_fields(Article, deferred=_DEFERRED))
    section_fields = tuple(_fields(Section))
    image_fields = tuple(_fields(Image))
    link_fields = tuple(_fields(ArticleAuthor))
    author_fields = tuple(_fields(Author))
    tag_fields = tuple(_fields(Tag))
    tags_through = Article.tags.through._meta
    through_article = _q(tags_through.get_field("article").column)
    through_tag = _q(tags_through.get_field("tag").column)

    def col(model, name: str) -> str:
        return _q(model._meta.get_field(name).column)

    pk = _q("id")
    # identifiers only, from model metadata and quoted; the slug and status are parameters
    sql = (
        f"SELECT {_select('a', article_fields)}, {_select('s', section_fields)}, {_select('i', image_fields)}, "
        f"(SELECT COALESCE(json_agg(json_build_array({_json_array('l', link_fields)}, "
        f"{_json_array('au', author_fields)}) ORDER BY l.{col(ArticleAuthor, 'order')}, l.{pk}), '[]')::text "
        f"FROM {_q(ArticleAuthor._meta.db_table)} l JOIN {_q(Author._meta.db_table)} au "
        f"ON au.{pk} = l.{col(ArticleAuthor, 'author')} WHERE l.{col(ArticleAuthor, 'article')} = a.{pk}), "
        f"(SELECT COALESCE(json_agg({_json_array('t', tag_fields)} ORDER BY t.{col(Tag, 'name')}), '[]')::text "
        f"FROM {_q(tags_through.db_table)} at JOIN {_q(Tag._meta.db_table)} t ON t.{pk} = at.{through_tag} "
        f"WHERE at.{through_article} = a.{pk}) "
        f"FROM {_q(Article._meta.db_table)} a "
        f"LEFT JOIN {_q(Section._meta.db_table)} s ON s.{pk} = a.{col(Article, 'section')} "
        f"LEFT JOIN {_q(Image._meta.db_table)} i ON i.{pk} = a.{col(Article, 'hero_image')} "
        f"WHERE a.{col(Article, 'slug')} = %s AND a.{col(Article, 'status')} = %s "
        f"AND a.{col(Article, 'published_at')} IS NOT NULL LIMIT 1"
    )
    return sql, article_fields, section_fields, image_fields, link_fields, author_fields, tag_fields


def _from_row(connection, model, fields, values):
    """A model instance from database values, converted as the ORM converts them (jsonb arrives as text)."""
    values = [
        f.from_db_value(v, None, connection) if isinstance(f, JSONField) and v is not None else v
        for f, v in zip(fields, values, strict=True)
    ]
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def _json_value(field, value):
    """A value that came through json_build_array: JSON types are already Python, timestamps arrive as ISO text
    (with their offset), which `to_python` parses."""
    if value is None or isinstance(field, JSONField):
        return value
    return field.to_python(value)


def _from_json(connection, model, fields, values):
    return model.from_db(
        connection.alias,
        [f.attname for f in fields],
        [_json_value(f, v) for f, v in zip(fields, values, strict=True)],
    )


def article_row_get(*, slug: str) -> Article | None:
    """The published article `slug` with section, hero image, byline and tags loaded, in one statement; or None.
    PostgreSQL only; read from the database the router picks for content reads (a replica when configured)."""
    connection = connections[router.db_for_read(Article)]
    sql, article_fields, section_fields, image_fields, link_fields, author_fields, tag_fields = _statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [slug, Article.Status.PUBLISHED])
        row = cursor.fetchone()
    if row is None:
        return None
    a_end = len(article_fields)
    s_end = a_end + len(section_fields)
    i_end = s_end + len(image_fields)
    article = _from_row(connection, Article, article_fields, row[:a_end])
    section = _from_row(connection, Section, section_fields, row[a_end:s_end]) if row[a_end] is not None else None
    image = _from_row(connection, Image, image_fields, row[s_end:i_end]) if row[s_end] is not None else None
    article._state.fields_cache["section"] = section
    article._state.fields_cache["hero_image"] = image

    links = []
    for link_values, author_values in json.loads(row[i_end]):
        link = _from_json(connection, ArticleAuthor, link_fields, link_values)
        link._state.fields_cache["author"] = _from_json(connection, Author, author_fields, author_values)
        link._state.fields_cache["article"] = article
        links.append(link)
    article.ordered_article_authors = links

    tags = [_from_json(connection, Tag, tag_fields, values) for values in json.loads(row[i_end + 1])]
    prefetched = article.tags._apply_rel_filters(Tag.objects.order_by("name"))
    prefetched._result_cache = tags
    prefetched._prefetch_done = True
    article._prefetched_objects_cache = {"tags": prefetched}
    return article
