"""The one place the views turn a `filter` parameter into a Django Q: NQL parsing (`nql.parse`) and the per-resource
translation (`filters.*_q`) are G2's modules; a filter that does not parse or names an unknown field is a 400."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from .errors import BadRequestError


def filter_q(resource: str, text: str | None, *, now: datetime, kind: str = "tag") -> Q | None:
    """The Q for `filter=` on `resource` (posts | pages | authors | tags), None when there is no filter. For tags,
    `kind` says which of the two Ghost-tag tables the Q is for ("tag" or "section")."""
    if not text:
        return None
    try:
        from . import filters, nql
    except ImportError:  # pragma: no cover - until the NQL modules land
        raise BadRequestError("Filtering is not supported yet.", prop="filter") from None
    try:
        node = nql.parse(text)
    except nql.NQLSyntaxError as exc:
        raise BadRequestError(
            f"Error parsing filter: {exc}", context=f"at position {getattr(exc, 'position', '?')}", prop="filter"
        ) from None
    translate = {
        "posts": lambda n: filters.posts_q(n, now=now),
        "pages": lambda n: filters.pages_q(n, now=now),
        "authors": filters.authors_q,
        "tags": lambda n: filters.tags_q(n, kind=kind),
    }[resource]
    try:
        return translate(node)
    except filters.NQLFieldError as exc:
        raise BadRequestError(f"Error in filter: {exc}", prop="filter") from None
