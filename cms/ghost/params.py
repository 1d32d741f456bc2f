"""The Ghost Content API's query parameters, parsed once per request: `include`, `fields`, `formats`, `filter`,
`limit`, `page`, `order`. Bad values answer Ghost's errors (never a 500); unknown `include` values are ignored, as
Ghost does."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import BadRequestError, ValidationError

DEFAULT_LIMIT = 15
MAX_LIMIT = 100
MAX_PARAM_LENGTH = 4000
KNOWN_INCLUDES = {"authors", "tags", "count.posts"}
KNOWN_FORMATS = ("html", "plaintext")


@dataclass(frozen=True)
class Params:
    include: frozenset[str] = frozenset()
    fields: tuple[str, ...] = ()
    formats: tuple[str, ...] = ("html",)
    filter: str | None = None
    limit: int | None = DEFAULT_LIMIT  # None: `limit=all`
    page: int = 1
    order: tuple[tuple[str, bool], ...] = field(default=())  # (field, descending)


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _get(query, name: str) -> str | None:
    value = query.get(name)
    if value is not None and (len(value) > MAX_PARAM_LENGTH or "\x00" in value):
        raise ValidationError(f"Validation error, cannot read {name}.", prop=name)
    return value


def _limit(raw: str | None, *, allow_all: bool) -> int | None:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if raw == "all":
        return None if allow_all else MAX_LIMIT
    if not raw.isdigit() or int(raw) < 1:
        raise ValidationError(f'Validation (isInt) failed for limit: "{raw[:40]}"', prop="limit")
    return min(int(raw), MAX_LIMIT)


def _page(raw: str | None) -> int:
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        raise ValidationError(f'Validation (isInt) failed for page: "{raw[:40]}"', prop="page")
    return int(raw)


def _order(raw: str | None, allowed: dict[str, str]) -> tuple[tuple[str, bool], ...]:
    """`published_at desc,title asc` -> (("published_at", True), ("title", False)); fields outside `allowed`
    (Ghost name -> model field) are a 400 BadRequestError."""
    clauses = []
    for clause in _csv(raw):
        words = clause.split()
        name = words[0].lower()
        direction = words[1].lower() if len(words) > 1 else "asc"
        if len(words) > 2 or direction not in ("asc", "desc"):
            raise BadRequestError(f'Invalid order clause "{clause[:80]}".', prop="order")
        if name not in allowed:
            raise BadRequestError(f'Cannot order by "{name[:80]}".', prop="order", context="Unknown order field.")
        clauses.append((allowed[name], direction == "desc"))
    return tuple(clauses)


GIFT_TOKEN_MAX_LENGTH = 200


def gift_token_parse(request) -> str | None:
    """A Masthead gift link's token (`?gift=`), only read by the single-post routes; None without one."""
    value = request.GET.get("gift")
    if value is not None and (len(value) > GIFT_TOKEN_MAX_LENGTH or "\x00" in value):
        raise ValidationError("Validation error, cannot read gift.", prop="gift")
    return value


def params_parse(request, *, order_fields: dict[str, str], allow_all: bool) -> Params:
    query = request.GET
    include = set()
    for value in _csv(_get(query, "include")):
        include.add(value)
    formats = tuple(f for f in KNOWN_FORMATS if f in _csv(_get(query, "formats"))) or ("html",)
    return Params(
        include=frozenset(include & KNOWN_INCLUDES),
        fields=tuple(_csv(_get(query, "fields"))),
        formats=formats,
        filter=_get(query, "filter") or None,
        limit=_limit(_get(query, "limit"), allow_all=allow_all),
        page=_page(_get(query, "page")),
        order=_order(_get(query, "order"), order_fields),
    )
