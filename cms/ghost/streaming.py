"""`limit=all` (the versioned prefixes only): the whole collection, streamed.

Rows are read through a server-side cursor (`QuerySet.iterator(chunk_size=...)`) and written out chunk by chunk,
so memory stays bounded by `CHUNK` rows whatever the size of the archive. Posts carry their byline and tags inline
as JSON (`selectors.posts_with_inline_relations`), so the queries are one count and one cursor whatever the number
of posts. The paywall's look (`access_decide_many`, never counting) is asked per chunk: no query for the usual
caller (a static-site build, no reader); up to three per `CHUNK` posts for an identified reader (its meter).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.http import StreamingHttpResponse

from paywall.readers import Reader
from paywall.services import access_decide_many

from . import presenters, queries, selectors

CHUNK = 1000


def _dump(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder)


def _chunks(iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _posts_rows(*, params, reader: Reader, now) -> tuple[int, Iterator[dict]]:
    qs = queries.posts_query(params, now=now)
    total = qs.count()
    inline = bool(params.include & {"authors", "tags"})
    if inline and connections[qs.db].vendor == "postgresql":
        qs = selectors.posts_with_inline_relations(qs)
    elif inline:  # pragma: no cover - SQLite: two prefetch queries per chunk
        qs = selectors.posts_with_relations(qs)
    else:
        qs = qs.select_related("section", "hero_image")

    def rows():
        for chunk in _chunks(qs.iterator(chunk_size=CHUNK), CHUNK):
            decisions = access_decide_many(reader=reader, articles=chunk, now=now)
            for article in chunk:
                if hasattr(article, "inline_authors"):
                    selectors.inline_relations_attach(article)
                yield presenters.post_shape_for(article, decision=decisions[article.pk], params=params)

    return total, rows()


def _simple_rows(resource: str, *, params, now) -> tuple[int, Iterator[dict]]:
    with_count = "count.posts" in params.include
    if resource == "tags":
        sources = queries.tags_queries(params, now=now)
    elif resource == "authors":
        sources = [(queries.authors_query(params, now=now), False)]
    else:
        sources = [(queries.pages_query(params, now=now), False)]
    total = sum(qs.count() for qs, _ in sources)

    def shape(obj, is_section):
        if resource == "tags":
            data = presenters.tag_shape(obj, is_section=is_section, with_count=with_count)
            return presenters.fields_select(data, params.fields, presenters.TAG_FIELDS)
        if resource == "authors":
            return presenters.fields_select(
                presenters.author_shape(obj, with_count=with_count), params.fields, presenters.AUTHOR_FIELDS
            )
        return presenters.page_shape(obj, include=params.include, fields=params.fields, formats=params.formats)

    def rows():
        for qs, is_section in sources:
            for obj in qs.iterator(chunk_size=CHUNK):
                yield shape(obj, is_section)

    return total, rows()


def stream_browse(*, resource: str, params, reader: Reader, now) -> StreamingHttpResponse:
    """Validate and count first (errors are still proper Ghost errors), then stream the items."""
    if resource == "posts":
        total, rows = _posts_rows(params=params, reader=reader, now=now)
    else:
        total, rows = _simple_rows(resource, params=params, now=now)
    meta = {"pagination": {"page": 1, "limit": "all", "pages": 1, "total": total, "next": None, "prev": None}}

    def body():
        yield "{" + _dump(resource) + ":["
        for i, row in enumerate(rows):
            yield ("," if i else "") + _dump(row)
        yield '],"meta":' + _dump(meta) + "}"

    response = StreamingHttpResponse(body(), content_type="application/json")
    response["Cache-Control"] = "public, max-age=60" if reader == Reader() else "private, no-store"
    return response
