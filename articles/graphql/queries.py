"""Content reads over GraphQL, through the same selectors as REST (visibility is decided there, once)."""

from __future__ import annotations

from contextlib import nullcontext

import graphene
from graphene.relay import PageInfo
from graphql import GraphQLIncludeDirective, GraphQLSkipDirective
from graphql.execution.values import get_directive_values

from articles import presenters, selectors
from articles.caching import article_detail_snapshot
from cms.core.exceptions import ApplicationError, NotFound
from cms.core.pagination import cursor_encode, keyset_paginate
from cms.graphql.caching import reader_dependency_mark
from cms.graphql.context import request_reader, request_store
from cms.graphql.errors import Code, graphql_error
from cms.graphql.limits import first_check
from paywall.readers import Reader
from paywall.services import access_decide, article_search_snippets

from .dataloaders import LatestArticlesByAuthorIdLoader, articles_loaded
from .types import (
    ArticleConnection,
    ArticleType,
    AuthorType,
    SearchSuggestionType,
    SectionType,
    TagType,
    request_base,
)

SEARCH_MAX_LENGTH = 200  # as REST's `search`
SLUG_MAX_LENGTH = 300


def _text_argument(value: str | None, *, field: str, max_length: int) -> str | None:
    """Refuse what REST's serializers refuse before it reaches the database (NUL characters, over-long values)."""
    if value is None:
        return None
    if "\x00" in value:
        raise graphql_error("Null characters are not allowed.", code=Code.INVALID, field=field)
    if len(value) > max_length:
        raise graphql_error(f"Ensure this value has at most {max_length} characters.", code=Code.INVALID, field=field)
    return value


def _slug_argument(slug: str) -> str | None:
    """A slug to look up, or None when it cannot exist (then the single-object query answers null)."""
    if "\x00" in slug or len(slug) > SLUG_MAX_LENGTH:
        return None
    return slug


def _get_or_none(getter, slug: str):
    """`getter(slug=slug)` (a selector raising NotFound), or None: a single-object query answers null."""
    if _slug_argument(slug) is None:
        return None
    try:
        return getter(slug=slug)
    except NotFound:
        return None


# Fields of the top-level article whose answer depends on the (counted) detail decision.
DETAIL_DECISION_FIELDS = frozenset({"body", "bodyIsPreview", "access", "paywall", "gift", "offer"})
GIFT_TOKEN_MAX_LENGTH = 200  # as REST's `gift`


def _included(node, variables) -> bool:
    """The @skip/@include rule of graphql-core's executor, for one selection."""
    skip = get_directive_values(GraphQLSkipDirective, node, variables)
    if skip and skip["if"] is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, variables)
    return not (include and include["if"] is False)


def _selected_field_names(info) -> set[str]:
    """Names of the fields selected directly under the current field, through fragments and inline fragments, and
    honouring @skip/@include (a skipped `body` must not count a read)."""
    names: set[str] = set()
    variables = info.variable_values
    stack = [node.selection_set for node in info.field_nodes if node.selection_set]
    seen_fragments: set[str] = set()
    while stack:
        selection_set = stack.pop()
        for selection in selection_set.selections:
            if not _included(selection, variables):
                continue
            kind = selection.kind
            if kind == "field":
                names.add(selection.name.value)
            elif kind == "inline_fragment":
                stack.append(selection.selection_set)
            elif kind == "fragment_spread":
                name = selection.name.value
                fragment = info.fragments.get(name)
                if fragment is not None and name not in seen_fragments:
                    seen_fragments.add(name)
                    stack.append(fragment.selection_set)
    return names


def _selects(info, name: str) -> bool:
    """Whether the query asks for `name` anywhere below the current field (e.g. edges { node { snippet } })."""
    stack = [node.selection_set for node in info.field_nodes if node.selection_set]
    while stack:
        selection_set = stack.pop()
        for selection in selection_set.selections:
            if selection.kind == "field" and selection.name.value == name:
                return True
            if selection.kind == "fragment_spread":
                fragment = info.fragments.get(selection.name.value)
                if fragment is not None:
                    stack.append(fragment.selection_set)
            elif getattr(selection, "selection_set", None) is not None:
                stack.append(selection.selection_set)
    return False


def _order_fields(qs) -> tuple[str, ...]:
    if "search_rank" in qs.query.annotations:
        return ("search_rank", "published_at", "id")
    return ("published_at", "id")


class ArticlesQueries(graphene.ObjectType):
    articles = graphene.Field(
        ArticleConnection,
        required=True,
        first=graphene.Int(required=True, description="Page size, 1 to 100 (required)."),
        after=graphene.String(description="endCursor of the previous page."),
        section=graphene.String(description="Section slug."),
        tag=graphene.String(description="Tag slug."),
        author=graphene.String(description="Author slug."),
        search=graphene.String(description='Full-text search (websearch syntax: "quoted phrase", OR, -word).'),
        order=graphene.String(
            description="With `search`: `relevance` (the default; with a recency component) or `newest`; anything "
            "else is an error naming `order`."
        ),
        published_after=graphene.DateTime(),
        published_before=graphene.DateTime(),
        description="Published articles, newest first (ranked by relevance with `search`). Keyset-paginated.",
    )
    article = graphene.Field(
        ArticleType,
        slug=graphene.String(required=True),
        preview=graphene.String(
            description="An editor's preview token (the REST detail's `?preview=`): the article, draft or not, in "
            "full and never counted (`access.reason: preview`); null when the token is not valid for this slug."
        ),
        gift=graphene.String(
            description="A gift link's token (createGiftLink): this article in full, uncounted (`access.reason: "
            "gift`, with `offer`); an expired, exhausted, revoked or invalid one changes nothing but sets `gift`."
        ),
        description="A published article, or null. Selecting body/access/paywall counts a metered read.",
    )
    search_suggest = graphene.List(
        graphene.NonNull(SearchSuggestionType),
        required=True,
        q=graphene.String(required=True),
        description="Search-as-you-type: at most 10 sections, tags, authors and article titles like `q` (1 to 100 "
        "characters; prefix and typo tolerant).",
    )
    sections = graphene.List(graphene.NonNull(SectionType), required=True)
    section = graphene.Field(SectionType, slug=graphene.String(required=True))
    tags = graphene.List(graphene.NonNull(TagType), required=True)
    authors = graphene.List(graphene.NonNull(AuthorType), required=True)
    author = graphene.Field(AuthorType, slug=graphene.String(required=True))

    @staticmethod
    def resolve_articles(root, info, first, after=None, search=None, **filters):
        first = first_check(first)
        search = _text_argument(search, field="search", max_length=SEARCH_MAX_LENGTH)
        for name in ("section", "tag", "author"):
            filters[name] = _text_argument(filters.get(name), field=name, max_length=SLUG_MAX_LENGTH)
        qs = selectors.article_list(search=search, **filters)
        fields = _order_fields(qs)
        try:
            with selectors.article_search_time_limit() if search else nullcontext():
                page = keyset_paginate(
                    qs, fields=fields, cursor=after, page_size=first, datetime_fields=("published_at",)
                )
        except ApplicationError as e:
            if e.field == "cursor":
                raise graphql_error("Invalid or expired cursor.", code=e.code, field="after") from None
            raise
        articles_loaded(info.context, page.items)
        if search and _selects(info, "snippet"):
            snippets = request_store(info, "article_search_snippets")
            snippets.update(article_search_snippets(articles=page.items, query=search))
        edges = [
            ArticleConnection.Edge(
                node=item,
                cursor=cursor_encode(values=tuple(getattr(item, f) for f in fields), reverse=False, fields=fields),
            )
            for item in page.items
        ]
        page_info = PageInfo(
            has_next_page=page.next_cursor is not None,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return ArticleConnection(edges=edges, page_info=page_info)

    @staticmethod
    def resolve_article(root, info, slug, preview=None, gift=None):
        if _slug_argument(slug) is None:
            return None
        if preview is not None:
            return _preview_article(info, slug=slug, token=preview)
        try:
            # The article instance of the detail snapshot (the REST detail's cache: one cache round trip when warm,
            # shared by both APIs); the paywall decides below on this instance, per request.
            article = article_detail_snapshot(slug=slug, base=request_base(info)).article
        except NotFound:
            return None
        if _selected_field_names(info) & DETAIL_DECISION_FIELDS:
            # The detail read: counted once per request per article and gift token (aliases asking twice share it).
            gift = _text_argument(gift, field="gift", max_length=GIFT_TOKEN_MAX_LENGTH)
            decisions = request_store(info, "article_detail_decisions")
            if (article.pk, gift) not in decisions:
                decisions[article.pk, gift] = access_decide(
                    reader=request_reader(info), article=article, record=True, gift_token=gift
                )
            article._mh_decision = decisions[article.pk, gift]
        return article

    @staticmethod
    def resolve_search_suggest(root, info, q):
        base = request_base(info)
        return [presenters.search_suggestion(s, base=base) for s in selectors.search_suggest(q=q)]

    @staticmethod
    def resolve_sections(root, info):
        return list(selectors.section_list())

    @staticmethod
    def resolve_section(root, info, slug):
        return _get_or_none(selectors.section_get, slug)

    @staticmethod
    def resolve_tags(root, info):
        return list(selectors.tag_list())

    @staticmethod
    def resolve_authors(root, info):
        authors = list(selectors.author_list())
        LatestArticlesByAuthorIdLoader(info.context).prime_owners(authors)
        return authors

    @staticmethod
    def resolve_author(root, info, slug):
        return _get_or_none(selectors.author_get, slug)


def _preview_article(info, *, slug: str, token: str):
    """`article(slug, preview)`: the token holder's read, decided by the paywall like every read; the answer holds
    a draft, so it is never served from the public answer cache."""
    try:
        article = selectors.article_get_for_preview(slug=slug, token=token)
    except NotFound:
        return None
    reader_dependency_mark(info.context)
    article._mh_decision = access_decide(reader=Reader(), article=article, preview_token=token)
    return article
