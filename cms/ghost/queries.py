"""Each resource's queryset for a request's parameters: the NQL filter (`filtering.filter_q`) and the `order`
clauses (with a unique tiebreak, so pages and streams are stable). Shared by the paginated views and `limit=all`."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from . import selectors
from .filtering import filter_q
from .params import Params


def ordering(params: Params, default: tuple[str, ...]) -> list[str]:
    """The `order` clauses (fields Masthead lacks, such as `featured`, dropped), then the default's others."""
    clauses = [("-" if desc else "") + name for name, desc in params.order if name]
    named = {c.lstrip("-") for c in clauses}
    return [*clauses, *[c for c in default if c.lstrip("-") not in named]]


def posts_query(params: Params, *, now: datetime) -> QuerySet:
    qs = selectors.posts_public(filter_q("posts", params.filter, now=now))
    return qs.order_by(*ordering(params, ("-published_at", "-id")))


def pages_query(params: Params, *, now: datetime) -> QuerySet:
    qs = selectors.pages_public(filter_q("pages", params.filter, now=now))
    return qs.order_by(*ordering(params, ("title", "id")))


def authors_query(params: Params, *, now: datetime) -> QuerySet:
    q = filter_q("authors", params.filter, now=now)
    qs = selectors.authors_public(q, with_counts="count.posts" in params.include)
    return qs.order_by(*ordering(params, ("name", "id")))


def tags_queries(params: Params, *, now: datetime) -> list[tuple[QuerySet, bool]]:
    """[(sections, True), (tags, False)]: both Ghost tags, sections first (in their editorial order unless an
    `order` is given); the NQL is translated per table."""
    with_count = "count.posts" in params.include
    order = ordering(params, ("name", "id"))
    sections = selectors.sections_public(
        filter_q("tags", params.filter, now=now, kind="section"), with_counts=with_count
    )
    tags = selectors.tags_public(filter_q("tags", params.filter, now=now, kind="tag"), with_counts=with_count)
    return [
        (sections.order_by(*(order if params.order else ["ordering", *order])), True),
        (tags.order_by(*order), False),
    ]
