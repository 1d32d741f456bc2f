"""Keyset (cursor) pagination: stable, index-backed, no COUNT(*), fast at any catalogue size.

A page is the `page_size` rows after (or before) a position in a descending ordering such as
`(-published_at, -id)`. The position travels as an opaque cursor: the ordering values and a direction, signed
with Django's signing (base64, salted), so a client cannot forge or edit one; a tampered cursor is a 400 naming
`cursor`. REST answers `{"results": [...], "next": url|null, "previous": url|null}` (links from
`cms.api.pagination.page_link`); GraphQL answers a connection with the same cursors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from cms.core.errors import ErrorCode
from cms.core.exceptions import ApplicationError

_SALT = "masthead.api.cursor"
MAX_PAGE_SIZE = 100


def _dump(value):
    return value.isoformat() if isinstance(value, datetime) else value


@dataclass(frozen=True)
class Cursor:
    values: tuple
    reverse: bool  # True: the page before the position (a "previous" link)


def cursor_encode(*, values: tuple, reverse: bool, fields: tuple[str, ...]) -> str:
    return signing.dumps({"v": [_dump(v) for v in values], "r": reverse, "f": list(fields)}, salt=_SALT)


def cursor_decode(token: str, *, fields: tuple[str, ...], datetime_fields: tuple[str, ...] = ()) -> Cursor:
    """Decode a cursor made for this ordering; anything else is a 400 naming `cursor`."""
    bad = ApplicationError("Invalid or expired cursor.", code=ErrorCode.INVALID_CURSOR, field="cursor")
    if len(token) > 1000:
        raise bad
    try:
        data = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, UnicodeError):
        raise bad from None
    if not isinstance(data, dict) or data.get("f") != list(fields) or not isinstance(data.get("r"), bool):
        raise bad
    raw = data.get("v")
    if not isinstance(raw, list) or len(raw) != len(fields):
        raise bad
    values = []
    for name, value in zip(fields, raw, strict=True):
        if name in datetime_fields:
            parsed = parse_datetime(value) if isinstance(value, str) else None
            if parsed is None:
                raise bad
            values.append(parsed)
        else:
            values.append(value)
    return Cursor(values=tuple(values), reverse=data["r"])


def _beyond(fields: tuple[str, ...], values: tuple, *, lookup: str) -> Q:
    """Rows strictly beyond `values` in lexicographic order of `fields` (`lt` for descending orderings)."""
    condition = Q()
    for i, name in enumerate(fields):
        clause = Q(**{f"{name}__{lookup}": values[i]})
        for prev, value in zip(fields[:i], values[:i], strict=True):
            clause &= Q(**{prev: value})
        condition |= clause
    return condition


@dataclass
class KeysetPage:
    items: list
    next_cursor: str | None
    previous_cursor: str | None


def _page_rows(qs: QuerySet, *, order: list[str], limit: int) -> list:
    """The first `limit` rows of `qs` in `order`. When the order uses a computed annotation (a search rank), the
    database must compute it for every matching row before it can sort: then the page's ids are chosen by a narrow
    subquery (ids and sort keys only) and only those rows are loaded whole, with their joins, instead of carrying
    every match's full row and joins through the sort. Same rows, same order, still one statement."""
    if any(name.lstrip("-") in qs.query.annotations for name in order):
        page_ids = qs.order_by(*order).values("pk")[:limit]
        return list(qs.filter(pk__in=page_ids).order_by(*order))
    return list(qs.order_by(*order)[:limit])


def keyset_paginate(
    qs: QuerySet, *, fields: tuple[str, ...], cursor: str | None, page_size: int, datetime_fields: tuple[str, ...] = ()
) -> KeysetPage:
    """One page of `qs` ordered by `fields`, all descending (the queryset's ordering is replaced)."""
    descending = [f"-{f}" for f in fields]
    ascending = list(fields)
    position = cursor_decode(cursor, fields=fields, datetime_fields=datetime_fields) if cursor else None

    def key(obj) -> tuple:
        return tuple(getattr(obj, f) for f in fields)

    if position is None or not position.reverse:
        page_qs = qs
        if position is not None:
            page_qs = page_qs.filter(_beyond(fields, position.values, lookup="lt"))
        rows = _page_rows(page_qs, order=descending, limit=page_size + 1)
        has_more = len(rows) > page_size
        items = rows[:page_size]
        next_cursor = cursor_encode(values=key(items[-1]), reverse=False, fields=fields) if has_more else None
        previous_cursor = None
        if position is not None and items:
            previous_cursor = cursor_encode(values=key(items[0]), reverse=True, fields=fields)
        elif position is not None:
            previous_cursor = cursor_encode(values=position.values, reverse=True, fields=fields)
        return KeysetPage(items=items, next_cursor=next_cursor, previous_cursor=previous_cursor)

    rows = _page_rows(qs.filter(_beyond(fields, position.values, lookup="gt")), order=ascending, limit=page_size + 1)
    has_more = len(rows) > page_size
    items = list(reversed(rows[:page_size]))
    previous_cursor = cursor_encode(values=key(items[0]), reverse=True, fields=fields) if has_more else None
    next_cursor = (
        cursor_encode(values=key(items[-1]), reverse=False, fields=fields)
        if items
        else cursor_encode(values=position.values, reverse=False, fields=fields)
    )
    return KeysetPage(items=items, next_cursor=next_cursor, previous_cursor=previous_cursor)
