"""One-statement article loading on PostgreSQL, for `selectors.article_get`.

The ORM loads an article with its section, hero image, byline and tags in three queries (one join, two prefetches)
and spends most of that time compiling SQL and building querysets, not in PostgreSQL: about 5 ms of Python for a
cold article detail. `article_row_get` asks the same question in one parameterised statement (the byline and tags
come back as JSON arrays from correlated subqueries) and builds the same objects the ORM would:

- `Article` with `search_vector` deferred, `section` and `hero_image` cached as `select_related` caches them;
- `ordered_article_authors`: the `ArticleAuthor` links in byline order, each with its `author` loaded;
- `tags`: a prefetched queryset in name order, so `article.tags.all()` costs no query.

`article_relations_attach` does the byline and tags part for a list of fetched articles in one statement (lists,
search, related articles, GraphQL), instead of two prefetch queries.

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


def _col(model, name: str) -> str:
    return _q(model._meta.get_field(name).column)


@lru_cache(maxsize=1)
def _shapes() -> dict[str, tuple]:
    return {
        "article": tuple(_fields(Article, deferred=_DEFERRED)),
        "section": tuple(_fields(Section)),
        "image": tuple(_fields(Image)),
        "link": tuple(_fields(ArticleAuthor)),
        "author": tuple(_fields(Author)),
        "tag": tuple(_fields(Tag)),
    }


def _relations_sql(article_id: str) -> str:
    """Two columns for the article whose id is the SQL expression `article_id`: its byline (pairs of link and
    author values, in byline order) and its tags (in name order), each a JSON array as text."""
    shapes, pk = _shapes(), _q("id")
    through = Article.tags.through._meta
    byline = (
        f"(SELECT COALESCE(json_agg(json_build_array({_json_array('l', shapes['link'])}, "
        f"{_json_array('au', shapes['author'])}) ORDER BY l.{_col(ArticleAuthor, 'order')}, l.{pk}), '[]')::text "
        f"FROM {_q(ArticleAuthor._meta.db_table)} l JOIN {_q(Author._meta.db_table)} au "
        f"ON au.{pk} = l.{_col(ArticleAuthor, 'author')} WHERE l.{_col(ArticleAuthor, 'article')} = {article_id})"
    )
    tags = (
        f"(SELECT COALESCE(json_agg({_json_array('t', shapes['tag'])} ORDER BY t.{_col(Tag, 'name')}), '[]')::text "
        f"FROM {_q(through.db_table)} at JOIN {_q(Tag._meta.db_table)} t "
        f"ON t.{pk} = at.{_q(through.get_field('tag').column)} "
        f"WHERE at.{_q(through.get_field('article').column)} = {article_id})"
    )
    return f"{byline}, {tags}"


@lru_cache(maxsize=1)
def _article_statement() -> str:
    # identifiers only, from model metadata and quoted; the slug and status are parameters
    shapes, pk = _shapes(), _q("id")
    return (
        f"SELECT {_select('a', shapes['article'])}, {_select('s', shapes['section'])}, "
        f"{_select('i', shapes['image'])}, {_relations_sql(f'a.{pk}')} "
        f"FROM {_q(Article._meta.db_table)} a "
        f"LEFT JOIN {_q(Section._meta.db_table)} s ON s.{pk} = a.{_col(Article, 'section')} "
        f"LEFT JOIN {_q(Image._meta.db_table)} i ON i.{pk} = a.{_col(Article, 'hero_image')} "
        f"WHERE a.{_col(Article, 'slug')} = %s AND a.{_col(Article, 'status')} = %s "
        f"AND a.{_col(Article, 'published_at')} IS NOT NULL LIMIT 1"
    )


@lru_cache(maxsize=1)
def _relations_statement() -> str:
    return f"SELECT r.id, {_relations_sql('r.id')} FROM unnest(%s::bigint[]) AS r(id)"


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


def _relations_set(connection, article: Article, byline_json: str, tags_json: str) -> None:
    """Give `article` its byline (`ordered_article_authors`) and tags (a prefetched `tags` queryset) as the ORM's
    prefetches in `selectors._with_relations` would."""
    shapes = _shapes()
    links = []
    for link_values, author_values in json.loads(byline_json):
        link = _from_json(connection, ArticleAuthor, shapes["link"], link_values)
        link._state.fields_cache["author"] = _from_json(connection, Author, shapes["author"], author_values)
        link._state.fields_cache["article"] = article
        links.append(link)
    article.ordered_article_authors = links

    tags = [_from_json(connection, Tag, shapes["tag"], values) for values in json.loads(tags_json)]
    prefetched = article.tags._apply_rel_filters(Tag.objects.order_by("name"))
    prefetched._result_cache = tags
    prefetched._prefetch_done = True
    if not hasattr(article, "_prefetched_objects_cache"):
        article._prefetched_objects_cache = {}
    article._prefetched_objects_cache["tags"] = prefetched


def article_row_get(*, slug: str) -> Article | None:
    """The published article `slug` with section, hero image, byline and tags loaded, in one statement; or None.
    PostgreSQL only; read from the database the router picks for content reads (a replica when configured)."""
    connection = connections[router.db_for_read(Article)]
    shapes = _shapes()
    with connection.cursor() as cursor:
        cursor.execute(_article_statement(), [slug, Article.Status.PUBLISHED])
        row = cursor.fetchone()
    if row is None:
        return None
    a_end = len(shapes["article"])
    s_end = a_end + len(shapes["section"])
    i_end = s_end + len(shapes["image"])
    article = _from_row(connection, Article, shapes["article"], row[:a_end])
    section = _from_row(connection, Section, shapes["section"], row[a_end:s_end]) if row[a_end] is not None else None
    image = _from_row(connection, Image, shapes["image"], row[s_end:i_end]) if row[s_end] is not None else None
    article._state.fields_cache["section"] = section
    article._state.fields_cache["hero_image"] = image
    _relations_set(connection, article, row[i_end], row[i_end + 1])
    return article


def article_relations_attach(articles: list[Article], *, using: str) -> None:
    """Load the byline and tags of `articles` (already fetched) in one statement, whatever their number: what the
    two prefetch queries of `selectors._with_relations` do, for PostgreSQL querysets marked by
    `ArticleQuerySet.with_byline_and_tags()`."""
    if not articles:
        return
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(_relations_statement(), [[a.pk for a in articles]])
        found = {pk: (byline, tags) for pk, byline, tags in cursor.fetchall()}
    for article in articles:
        _relations_set(connection, article, *found[article.pk])
