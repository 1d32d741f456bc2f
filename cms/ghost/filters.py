"""NQL ASTs (`cms.ghost.nql`) to Django `Q` objects, one whitelist of Ghost properties per resource.

    posts_q(node, *, now)        Article: id slug title featured visibility published_at updated_at created_at
                                 tags.slug authors.slug primary_tag.slug primary_author.slug, and the shorthands
                                 tag tags author authors primary_tag primary_author (by slug)
    authors_q(node)              Author: id slug name
    tags_q(node)                 Tag or Section (both Ghost tags; one Q filters either): id slug name visibility
    pages_q(node, *, now=None)   Page: id slug title published_at featured

Sections appear as Ghost tags and the section is the primary tag, so `tags.slug` matches an article's section or one
of its tags, and `primary_tag.slug` its section. Multi-valued relations are tested with `Exists` subqueries, never
joins, so no filter duplicates a row. A property outside the whitelist, or a value of the wrong type for it (a date
that is no date), raises `NQLFieldError` (a 400 at the edge); an id or a visibility that names nothing matches
nothing, as in Ghost.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db.models import BooleanField, Exists, Expression, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from cms.ghost.ids import AUTHOR, PAGE, POST, SECTION, TAG, MalformedId, ghost_pk
from cms.ghost.nql import And, Comparison, Node, Or, RelativeDate, Value

NEGATIVE = {"ne": "eq", "nin": "in", "ncontains": "contains", "nstartswith": "startswith", "nendswith": "endswith"}
LOOKUPS = {
    "eq": "exact",
    "in": "in",
    "gt": "gt",
    "gte": "gte",
    "lt": "lt",
    "lte": "lte",
    "contains": "icontains",
    "startswith": "istartswith",
    "endswith": "iendswith",
}
TEXT_OPS = {"contains", "startswith", "endswith"}
VISIBILITY_LEVELS = {"public": "free", "members": "metered", "paid": "premium"}


class NQLFieldError(ValueError):
    """A filter that parses but names a property the resource does not have, or a value that property cannot take."""

    def __init__(self, message: str, position: int = 0, prop: str = ""):
        super().__init__(message)
        self.message = message
        self.position = position
        self.prop = prop


def always() -> Q:
    return Q(pk__isnull=False)


def never() -> Q:
    return Q(pk__in=[])


@dataclass(frozen=True)
class Context:
    now: dt.datetime
    node: Comparison


# --- values -----------------------------------------------------------------------------------------------------------


def relative_text(value: RelativeDate) -> str:
    if not value.amount:
        return "now"
    return f"now{'-' if value.amount < 0 else '+'}{abs(value.amount)}{value.unit}"


def as_text(value: Value, ctx: Context) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, RelativeDate):
        return relative_text(value)
    return str(value)


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    year = min(max(year, 1), 9999)
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def resolve_relative(value: RelativeDate, now: dt.datetime) -> dt.datetime:
    if value.unit in ("M", "y"):
        return add_months(now, value.amount * (12 if value.unit == "y" else 1))
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[value.unit]
    try:
        return now + dt.timedelta(seconds=value.amount * seconds)
    except OverflowError:
        return dt.datetime.max.replace(tzinfo=dt.UTC) if value.amount > 0 else dt.datetime.min.replace(tzinfo=dt.UTC)


def parse_moment(text: str) -> dt.datetime | None:
    try:
        moment = parse_datetime(text.replace(" ", "T", 1))
        if moment is None:
            day = parse_date(text)
            moment = dt.datetime(day.year, day.month, day.day) if day else None
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def as_datetime(value: Value, ctx: Context) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, RelativeDate):
        return resolve_relative(value, ctx.now)
    moment = parse_moment(value) if isinstance(value, str) else None
    if moment is None:
        raise NQLFieldError(
            f"{ctx.node.prop} needs a date such as '2024-05-01 10:00:00' or now-7d, not {value!r}",
            ctx.node.position,
            ctx.node.prop,
        )
    return moment


def as_bool(value: Value, ctx: Context) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise NQLFieldError(f"{ctx.node.prop} is true or false, not {value!r}", ctx.node.position, ctx.node.prop)


# --- field kinds ------------------------------------------------------------------------------------------------------

Coerce = Callable[[Value, Context], object]
Handler = Callable[[Context], Q]


def split(node: Comparison) -> tuple[bool, str]:
    """(negated, positive op): `ne` is (True, "eq")."""
    return (True, NEGATIVE[node.op]) if node.op in NEGATIVE else (False, node.op)


def values_of(node: Comparison) -> tuple[Value, ...]:
    return node.value if isinstance(node.value, tuple) else (node.value,)


def lookup_q(path: str, op: str, node: Comparison, coerce: Coerce, ctx: Context) -> Q:
    """`path <op> value` for a positive op; null compares with IS NULL."""
    if op == "in":
        values = [coerce(value, ctx) for value in values_of(node)]
        present = [value for value in values if value is not None]
        q = Q(**{f"{path}__in": present}) if present else never()
        return q | Q(**{f"{path}__isnull": True}) if None in values else q
    value = coerce(node.value, ctx)
    if value is None:
        return Q(**{f"{path}__isnull": True}) if op == "eq" else never()
    if op in TEXT_OPS and not isinstance(value, str):
        raise NQLFieldError(f"{node.prop} cannot be matched with '~'", node.position, node.prop)
    return Q(**{f"{path}__{LOOKUPS[op]}": value})


def scalar(path: str, coerce: Coerce) -> Handler:
    def handle(ctx: Context) -> Q:
        negated, op = split(ctx.node)
        q = lookup_q(path, op, ctx.node, coerce, ctx)
        return ~q if negated else q

    return handle


def related(exists: Callable[[Q], Exists], path: str, coerce: Coerce = as_text) -> Handler:
    """A multi-valued relation: the row has (or, negated, has no) related row matching."""

    def handle(ctx: Context) -> Q:
        negated, op = split(ctx.node)
        q = Q(exists(lookup_q(path, op, ctx.node, coerce, ctx)))
        return ~q if negated else q

    return handle


def ghost_ids(kind: str) -> Handler:
    """Ghost's 24-hex ids of `kind` (a `cms.ghost.ids` kind digit); a malformed or foreign id matches nothing."""

    def decode(value: Value, ctx: Context) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # an all-digit id such as 100000000000000000000012
        if not isinstance(value, str):
            return 0
        try:
            return ghost_pk(kind, value) or 0
        except MalformedId:
            return 0

    def handle(ctx: Context) -> Q:
        negated, op = split(ctx.node)
        if op not in ("eq", "in"):
            raise NQLFieldError(f"{ctx.node.prop} is compared only for equality", ctx.node.position, ctx.node.prop)
        q = lookup_q("pk", op, ctx.node, decode, ctx)
        return ~q if negated else q

    return handle


def constant(value: object, coerce: Coerce) -> Handler:
    """A Ghost property Masthead does not store, with the same value on every row (`featured` is false)."""

    def handle(ctx: Context) -> Q:
        negated, op = split(ctx.node)
        if op not in ("eq", "in"):
            raise NQLFieldError(f"{ctx.node.prop} is compared only for equality", ctx.node.position, ctx.node.prop)
        match = value in [coerce(candidate, ctx) for candidate in values_of(ctx.node)]
        return always() if match != negated else never()

    return handle


def visibility(path: str) -> Handler:
    """Ghost visibility public/members/paid is Masthead's access level free/metered/premium."""

    def coerce(value: Value, ctx: Context) -> str | None:
        text = as_text(value, ctx)
        return VISIBILITY_LEVELS.get(text, "-") if text is not None else None

    return scalar(path, coerce)


# --- resources --------------------------------------------------------------------------------------------------------


def article_tags_exist(q: Q) -> Exists:
    Article = apps.get_model("articles", "Article")
    through = Article.tags.through.objects.filter(article=OuterRef("pk"))
    return Exists(through.filter(q))


def article_authors_exist(q: Q) -> Exists:
    ArticleAuthor = apps.get_model("articles", "ArticleAuthor")
    return Exists(ArticleAuthor.objects.filter(article=OuterRef("pk")).filter(q))


def article_primary_author_exists(q: Q) -> Exists:
    ArticleAuthor = apps.get_model("articles", "ArticleAuthor")
    first = ArticleAuthor.objects.filter(article=OuterRef(OuterRef("pk"))).order_by("order", "id").values("pk")[:1]
    return Exists(ArticleAuthor.objects.filter(article=OuterRef("pk"), pk=Subquery(first)).filter(q))


def post_tags(ctx: Context) -> Q:
    """A Ghost tag of a post is its section or one of its tags."""
    negated, op = split(ctx.node)
    has_tag = Q(article_tags_exist(lookup_q("tag__slug", op, ctx.node, as_text, ctx)))
    in_section = lookup_q("section__slug", op, ctx.node, as_text, ctx) & Q(section__isnull=False)
    q = has_tag | in_section
    return ~q if negated else q


TAGS = post_tags
AUTHORS = related(article_authors_exist, "author__slug")
PRIMARY_TAG = scalar("section__slug", as_text)
PRIMARY_AUTHOR = related(article_primary_author_exists, "author__slug")

POSTS: dict[str, Handler] = {
    "id": ghost_ids(POST),
    "slug": scalar("slug", as_text),
    "title": scalar("title", as_text),
    "featured": constant(False, as_bool),
    "visibility": visibility("access_level"),
    "published_at": scalar("published_at", as_datetime),
    "updated_at": scalar("updated_at", as_datetime),
    "created_at": scalar("created_at", as_datetime),
    "tags.slug": TAGS,
    "tag": TAGS,
    "tags": TAGS,
    "authors.slug": AUTHORS,
    "author": AUTHORS,
    "authors": AUTHORS,
    "primary_tag.slug": PRIMARY_TAG,
    "primary_tag": PRIMARY_TAG,
    "primary_author.slug": PRIMARY_AUTHOR,
    "primary_author": PRIMARY_AUTHOR,
}
AUTHORS_FIELDS: dict[str, Handler] = {
    "id": ghost_ids(AUTHOR),
    "slug": scalar("slug", as_text),
    "name": scalar("name", as_text),
}
PAGES: dict[str, Handler] = {
    "id": ghost_ids(PAGE),
    "slug": scalar("slug", as_text),
    "title": scalar("title", as_text),
    "published_at": scalar("published_at", as_datetime),
    "featured": constant(False, as_bool),
}


class ByModel(Expression):
    """A condition chosen once the queryset's model is known: `build(model) -> Q`. Lets one `tags_q` filter both
    sections and tags (Ghost tags both), whose ids live in different id spaces."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, build: Callable[[type], Q]):
        super().__init__()
        self.build = build

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        return self.build(query.model).resolve_expression(query, allow_joins, reuse, summarize, for_save)


def tag_or_section_ids() -> Handler:
    """Ghost tag ids on whichever of Section or Tag is filtered: section ids match sections, tag ids tags."""
    by_tag, by_section = ghost_ids(TAG), ghost_ids(SECTION)

    def handle(ctx: Context) -> Q:
        tag_q, section_q = by_tag(ctx), by_section(ctx)
        return Q(ByModel(lambda model: section_q if model._meta.model_name == "section" else tag_q))

    return handle


def tags_fields(kind: str | None) -> dict[str, Handler]:
    return {
        "id": ghost_ids(kind) if kind else tag_or_section_ids(),
        "slug": scalar("slug", as_text),
        "name": scalar("name", as_text),
        "visibility": constant("public", as_text),
    }


TAGS_FIELDS = {"tag": tags_fields(TAG), "section": tags_fields(SECTION), None: tags_fields(None)}


# --- compiler ---------------------------------------------------------------------------------------------------------


def compile_q(node: Node, fields: dict[str, Handler], *, resource: str, now: dt.datetime) -> Q:
    if isinstance(node, And | Or):
        parts = [compile_q(child, fields, resource=resource, now=now) for child in node.children]
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part if isinstance(node, And) else combined | part
        return combined
    handler = fields.get(node.prop)
    if handler is None:
        raise NQLFieldError(
            f"unknown property {node.prop!r} in the filter for {resource} (supported: {', '.join(sorted(fields))})",
            node.position,
            node.prop,
        )
    return handler(Context(now=now, node=node))


def posts_q(node: Node, *, now: dt.datetime) -> Q:
    return compile_q(node, POSTS, resource="posts", now=now)


def authors_q(node: Node) -> Q:
    return compile_q(node, AUTHORS_FIELDS, resource="authors", now=timezone.now())


def tags_q(node: Node, *, kind: str | None = None) -> Q:
    """For Masthead's sections and tags, both Ghost tags: the same Q filters either queryset (`kind=None`), or
    only one of them (`kind="tag"` / `kind="section"`)."""
    return compile_q(node, TAGS_FIELDS[kind], resource="tags", now=timezone.now())


def pages_q(node: Node, *, now: dt.datetime | None = None) -> Q:
    return compile_q(node, PAGES, resource="pages", now=now or timezone.now())
