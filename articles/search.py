"""Full-text search and search-as-you-type suggestions: reads of published content (docs/search.md).

Search (PostgreSQL): `websearch_to_tsquery` syntax (quoted phrases, `OR`, `-word`); ordered by relevance (the
default) or newest first. The relevance score is `ln(ts_rank) + ln(2) * age / SEARCH_RECENCY_HALF_LIFE_DAYS`
written with the publication time instead of the age (`published_at` in seconds times a constant): an article one
half-life newer scores as if it were twice as relevant, and the score of a row does not depend on when the query
runs, so keyset cursors stay valid between pages.

Two methods, chosen once per process and database (at the first search, or by `/healthz`):
- `rum`: the database has the RUM index `article_search_rum` of migration 0009 (extension `rum`,
  `rum_tsvector_addon_ops` with `published_at` attached). The candidates are the SEARCH_CANDIDATES newest matches,
  in date order from the index (`ORDER BY published_at <=| ...`); only those are scored, so the cost no longer grows
  with the number of matches. Relevance order therefore covers the newest SEARCH_CANDIDATES matches of a query
  (every match when it has fewer; `order=newest` and date filters reach the rest). Ranking inside RUM (`<=>`, a
  `rum_tsvector_ops` index) was measured and rejected: it ranks every match inside the index, 0.5 s for a
  two-word query matching 50,000 articles at 1M (docs/search.md).
- `gin`: no RUM index (or SEARCH_METHOD=gin): every match is scored (the GIN index finds them). Exact, but the
  cost grows with the number of matches.
SQLite (the embedded default): a case-insensitive substring filter, newest first.

Suggestions (PostgreSQL): trigram word similarity (`pg_trgm`, GIN indexes) over section, tag and author names and
published article titles: prefix- and typo-tolerant. SQLite: a substring match.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connections, router, transaction
from django.db.models import F, FloatField, Func, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Cast, Greatest, Ln

from cms.core.exceptions import ApplicationError

from .models import Article, Author, Section, Tag

METHOD_RUM, METHOD_GIN = "rum", "gin"
RUM_INDEXES = ("article_search_rum",)  # migration 0009
ORDER_RELEVANCE, ORDER_NEWEST = "relevance", "newest"
ORDERS = (ORDER_RELEVANCE, ORDER_NEWEST)
# `published_at <=| FAR_FUTURE` is the distance to a fixed point after every article: newest first, from the index.
_FAR_FUTURE = datetime(2200, 1, 1, tzinfo=UTC)
_TINY_RANK = 1e-30  # ln(0) is -infinity: a match ranked 0 (only negated words) scores as this

_methods: dict[str, str] = {}


def search_method(*, using: str | None = None) -> str:
    """`rum` when the database holds a valid RUM index on the search vector (and SEARCH_METHOD is not `gin`), else
    `gin`. Detected once per process and database alias, at the first search (or `/healthz`)."""
    if settings.SEARCH_METHOD == METHOD_GIN:
        return METHOD_GIN
    alias = using or router.db_for_read(Article)
    if alias not in _methods:
        _methods[alias] = _method_detect(alias)
    return _methods[alias]


def search_method_forget() -> None:
    """Detect again at the next search (tests; after building or dropping the RUM index in a running process)."""
    _methods.clear()


def _method_detect(alias: str) -> str:
    db = connections[alias]
    if db.vendor != "postgresql":
        return METHOD_GIN
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = ANY(%s) AND i.indisvalid",
            [list(RUM_INDEXES)],
        )
        return METHOD_RUM if cursor.fetchone()[0] == len(RUM_INDEXES) else METHOD_GIN


class _LeftDistance(Func):
    """`published_at <=| point`: RUM's distance to a later point, which its index returns in order."""

    arg_joiner = " <=| "
    template = "(%(expressions)s)"
    output_field = FloatField()


class _Epoch(Func):
    template = "date_part('epoch', %(expressions)s)"
    output_field = FloatField()


def order_check(order: str | None) -> str | None:
    if order in (None, "", *ORDERS):
        return order or None
    raise ApplicationError("Must be 'relevance' or 'newest'.", code="invalid_choice", field="order")


def _score(query: SearchQuery):
    """ln(ts_rank) plus the recency term (a double: its text form round-trips through a cursor)."""
    rank = Cast(SearchRank(F("search_vector"), query), FloatField())
    score = Ln(Greatest(rank, Value(_TINY_RANK, output_field=FloatField())))
    half_life_days = float(settings.SEARCH_RECENCY_HALF_LIFE_DAYS)
    if half_life_days > 0:
        per_second = math.log(2) / (half_life_days * 86400)
        score = score + _Epoch(F("published_at")) * Value(per_second, output_field=FloatField())
    return Cast(score, FloatField())


def article_search(qs: QuerySet[Article], *, search: str, order: str | None = None) -> QuerySet[Article]:
    """`qs` (already filtered) narrowed to the matches of `search`. Ranked by relevance on PostgreSQL unless
    `order` is `newest`: then annotated with `search_rank` (paginate on search_rank, published_at, id)."""
    search = search.strip()
    if not search:
        return qs
    if connections[qs.db].vendor != "postgresql":
        return qs.filter(Q(title__icontains=search) | Q(dek__icontains=search) | Q(body__icontains=search))
    query = SearchQuery(search, search_type="websearch", config="english")
    matches = qs.filter(search_vector=query)
    if order == ORDER_NEWEST:
        return matches
    if search_method(using=qs.db) == METHOD_RUM:
        k = settings.SEARCH_CANDIDATES
        newest = matches.order_by(_LeftDistance(F("published_at"), Value(_FAR_FUTURE))).values_list("pk", flat=True)
        # Fetched once, here: as a subquery the candidates would be found twice per page (the page's ids are chosen
        # in a subquery of the statement that loads them, cms.core.pagination._page_rows).
        matches = qs.filter(pk__in=list(newest[:k]))
    return matches.annotate(search_rank=_score(query))


# --- suggestions -------------------------------------------------------------------------------------------------

SUGGEST_LIMIT = 10
SUGGEST_MAX_LENGTH = 100
# Article titles are suggested from the newest SUGGEST_TITLES published articles (a bounded walk of the newest-first
# index): over a million titles the trigram index costs up to seconds for a short typo, whose trigrams are common
# (docs/search.md). Section, tag and author names come from their trigram indexes.
SUGGEST_TITLES = 200
# Word similarity at or above this is a suggestion ("afgh" -> Afghanistan 0.8, "pentgon" -> Pentagon 0.55).
SUGGEST_THRESHOLD = 0.5
_KIND_ORDER = {"section": 0, "tag": 1, "author": 2, "article": 3}


@dataclass(frozen=True)
class Suggestion:
    type: str  # article | tag | author | section
    text: str
    slug: str


def suggest_query_check(q: str | None) -> str:
    """The stripped query; missing, blank, over SUGGEST_MAX_LENGTH or with a NUL: ApplicationError naming `q`."""
    q = (q or "").strip()
    if not q:
        raise ApplicationError("This field may not be blank.", code="blank", field="q")
    if len(q) > SUGGEST_MAX_LENGTH:
        message = f"Ensure this field has no more than {SUGGEST_MAX_LENGTH} characters."
        raise ApplicationError(message, code="max_length", field="q")
    if "\x00" in q:
        raise ApplicationError("Null characters are not allowed.", field="q")
    return q


def _kind(qs: QuerySet, *, kind: str, text: str, q: str, limit: int, newest: bool = False) -> QuerySet:
    """Rows (kind, text, slug, similarity, recency) of one kind whose `text` is word-similar to `q`: names by
    similarity; article titles newest first (an index walk while matches are common, the trigram index when they
    are rare: ranking every match of a short prefix by similarity would read a tenth of the archive)."""
    when = _Epoch(F("published_at")) if newest else Value(0.0, output_field=FloatField())
    ordering = ["-published_at", "-id"] if newest else ["-sim", text]
    return (
        qs.filter(**{f"{text}__trigram_word_similar": q})
        .annotate(
            kind=Value(_KIND_ORDER[kind], output_field=IntegerField()),
            text=F(text),
            sim=TrigramWordSimilarity(Value(q), text),
            when=when,
        )
        .order_by(*ordering)
        .values_list("kind", "text", "slug", "sim", "when")[:limit]
    )


def _recent_titles(alias: str) -> QuerySet[Article]:
    newest = Article.objects.using(alias).published().order_by("-published_at", "-id").values("pk")[:SUGGEST_TITLES]
    return Article.objects.using(alias).filter(pk__in=newest).order_by("-published_at", "-id")


def _suggest_rows_trigram(q: str, *, alias: str) -> list[tuple]:
    parts = [
        _kind(Section.objects.using(alias), kind="section", text="name", q=q, limit=SUGGEST_LIMIT),
        _kind(Tag.objects.using(alias), kind="tag", text="name", q=q, limit=SUGGEST_LIMIT),
        _kind(Author.objects.using(alias), kind="author", text="name", q=q, limit=SUGGEST_LIMIT),
        _kind(_recent_titles(alias), kind="article", text="title", q=q, limit=SUGGEST_LIMIT, newest=True),
    ]  # fmt: skip
    db = connections[alias]
    # The threshold of the trigram operators is a setting: set for this transaction only (nothing leaks to the
    # pooled connection), with the search time limit.
    with transaction.atomic(using=alias), db.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true), set_config('statement_timeout', %s, "
            "true)",
            [str(SUGGEST_THRESHOLD), str(int(settings.SEARCH_STATEMENT_TIMEOUT_MS or 0))],
        )
        return list(parts[0].union(*parts[1:], all=True))


def _suggest_rows_substring(q: str, *, alias: str) -> list[tuple]:
    def part(qs: QuerySet, kind: str, text: str, limit: int) -> list[tuple]:
        found = list(qs.using(alias).filter(**{f"{text}__icontains": q}).values_list(text, "slug")[:limit])
        prefix = q.lower()
        return [
            (_KIND_ORDER[kind], v, slug, 1.0 if v.lower().startswith(prefix) else 0.5, len(found) - i)
            for i, (v, slug) in enumerate(found)
        ]

    return [
        *part(Section.objects.order_by("name"), "section", "name", SUGGEST_LIMIT),
        *part(Tag.objects.order_by("name"), "tag", "name", SUGGEST_LIMIT),
        *part(Author.objects.order_by("name"), "author", "name", SUGGEST_LIMIT),
        *part(_recent_titles(alias), "article", "title", SUGGEST_LIMIT),
    ]


def search_suggest(*, q: str) -> list[Suggestion]:
    """At most SUGGEST_LIMIT suggestions for a partial query: the most similar first (sections, tags, authors
    before articles at equal similarity; newer articles first), each text once."""
    q = suggest_query_check(q)
    alias = router.db_for_read(Article)
    if connections[alias].vendor == "postgresql":
        rows = _suggest_rows_trigram(q, alias=alias)
    else:
        rows = _suggest_rows_substring(q, alias=alias)
    kinds = {v: k for k, v in _KIND_ORDER.items()}
    rows.sort(key=lambda row: (-round(row[3], 6), row[0], -row[4]))  # similarity, kind, newer first
    out: list[Suggestion] = []
    seen: set[tuple[int, str]] = set()
    for kind, text, slug, _sim, _when in rows:
        if (kind, text.lower()) in seen:
            continue
        seen.add((kind, text.lower()))
        out.append(Suggestion(type=kinds[kind], text=text, slug=slug))
        if len(out) == SUGGEST_LIMIT:
            break
    return out
