"""The content delivery API (REST). Thin edges: parse input, call selectors and the paywall's decision, shape the
output. Public lists are cached and CDN-friendly (see cms.core.caching); the article detail is private."""

from __future__ import annotations

from contextlib import nullcontext

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.throttling import SearchRateThrottle
from articles import presenters, selectors
from articles.api import serializers as s
from articles.caching import article_detail_snapshot
from cms.api.pagination import page_link
from cms.api.serializers import error_response_doc
from cms.core.caching import PublicCacheMixin
from cms.core.links import site_base
from cms.core.pagination import MAX_PAGE_SIZE, keyset_paginate
from cms.core.params import query_string_check_utf8
from paywall.readers import Reader, reader_resolve, reader_token_attach
from paywall.services import (
    access_decide,
    article_body_for,
    article_search_snippets,
    gift_offer_payload,
    gift_payload,
    paywall_payload,
)

_400 = error_response_doc("Bad input; `errors[].field` names the parameter.")
_404 = error_response_doc("Not found (or not public).")
_SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH)


def _validated(serializer_class, request) -> dict:
    query_string_check_utf8(request)
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PublicApi(PublicCacheMixin, APIView):
    permission_classes = (AllowAny,)


class ArticleListApi(PublicApi):
    throttle_classes = (*api_settings.DEFAULT_THROTTLE_CLASSES, SearchRateThrottle)

    @extend_schema(
        operation_id="articles_list",
        parameters=[s.ArticleListInputSerializer],
        responses={
            200: s.ArticleListOutputSerializer,
            400: _400,
            503: error_response_doc(
                "`search_timeout` (field `search`): the search ran past SEARCH_STATEMENT_TIMEOUT_MS; "
                "narrow it. `unavailable` when the database cannot be reached."
            ),
        },
        description="Published articles, newest first (ranked by relevance when `search` is given on PostgreSQL). "
        "Cursor-paginated: follow `next`/`previous`. A search that misses the page cache also counts against the "
        "`search` rate (THROTTLE_SEARCH, 429).",
    )
    def get(self, request):
        params = _validated(s.ArticleListInputSerializer, request)
        qs = selectors.article_list(
            section=params.get("section"),
            tag=params.get("tag"),
            author=params.get("author"),
            search=params.get("search"),
            published_after=params.get("published_after"),
            published_before=params.get("published_before"),
            order=params.get("order"),
        )
        ranked = "search_rank" in qs.query.annotations
        fields = ("search_rank", "published_at", "id") if ranked else ("published_at", "id")
        with selectors.article_search_time_limit() if params.get("search") else nullcontext():
            page = keyset_paginate(
                qs,
                fields=fields,
                cursor=params.get("cursor"),
                page_size=min(params["page_size"], MAX_PAGE_SIZE),
                datetime_fields=("published_at",),
            )
        snippets = article_search_snippets(articles=page.items, query=params["search"]) if params.get("search") else {}
        context = {"base": site_base(request), "snippets": snippets}
        data = {
            "results": s.ArticleListItemSerializer(page.items, many=True, context=context).data,
            "next": page_link(request, cursor=page.next_cursor),
            "previous": page_link(request, cursor=page.previous_cursor),
        }
        return Response(data)


class SearchSuggestApi(PublicApi):
    @extend_schema(
        operation_id="search_suggest",
        parameters=[s.SearchSuggestInputSerializer],
        responses={200: s.SearchSuggestOutputSerializer, 400: _400},
        description="Search-as-you-type: at most 10 sections, tags, authors and article titles like `q` (prefix and "
        "typo tolerant; trigram similarity on PostgreSQL). Public and cacheable.",
    )
    def get(self, request):
        params = _validated(s.SearchSuggestInputSerializer, request)
        suggestions = selectors.search_suggest(q=params["q"])
        context = {"base": site_base(request)}
        return Response({"results": s.SearchSuggestionSerializer(suggestions, many=True, context=context).data})


class ArticleDetailApi(APIView):
    """Reader-dependent: resolves the reader, asks the paywall's one decision (counting a metered read only on
    GET), and answers privately. With `?preview=<token>` the token holder reads the draft in full, uncounted; with
    `?gift=<token>` a subscriber's gift link is handed to the same decision."""

    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="articles_retrieve",
        parameters=[_SLUG, s.ArticleDetailInputSerializer],
        responses={200: s.ArticleDetailOutputSerializer, 400: _400, 404: _404},
        description="The article with `body` (cut at the preview boundary when `access.granted` is false), "
        "`access`, `paywall` and `json_ld`. A GET counts a metered read; HEAD does not. With `gift`: a valid gift "
        "link of this article gives the full text uncounted (`access.reason: gift`, plus `offer`); an expired, "
        "exhausted, revoked or invalid one changes nothing but adds `gift: {status, message}`.",
    )
    def get(self, request, slug: str):
        params = _validated(s.ArticleDetailInputSerializer, request) if request.GET else {}
        if params.get("preview"):
            return self._preview(request=request, slug=slug, token=params["preview"])
        snapshot = article_detail_snapshot(slug=slug, base=site_base(request))
        article = snapshot.article
        reader = reader_resolve(request)
        decision = access_decide(
            reader=reader, article=article, record=request.method == "GET", gift_token=params.get("gift")
        )
        body, is_preview = article_body_for(article=article, decision=decision)
        data = presenters.article_detail(
            snapshot.public,
            body=body,
            body_is_preview=is_preview,
            json_ld=presenters.json_ld_for_access(
                snapshot.json_ld, body_text=snapshot.json_ld_body, granted=decision.granted
            ),
            access=decision.as_access(),
            paywall=paywall_payload(decision=decision, reader=reader),
            gift=gift_payload(decision),
            offer=gift_offer_payload(decision=decision, reader=reader),
        )
        return reader_token_attach(Response(data), reader)

    def _preview(self, *, request, slug: str, token: str) -> Response:
        article = selectors.article_get_for_preview(slug=slug, token=token)
        decision = access_decide(reader=Reader(), article=article, preview_token=token)
        body, is_preview = article_body_for(article=article, decision=decision)
        base = site_base(request)
        data = presenters.article_detail(
            presenters.article_public(article, base=base),
            body=body,
            body_is_preview=is_preview,
            json_ld=presenters.article_json_ld(article=article, base=base, granted=decision.granted),
            access=decision.as_access(),
            paywall=None,
        )
        response = Response(data)
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response


class ArticleRelatedApi(PublicApi):
    @extend_schema(
        operation_id="articles_related",
        parameters=[_SLUG, s.RelatedInputSerializer],
        responses={200: s.ArticleResultsOutputSerializer, 400: _400, 404: _404},
        description='"More from ...": hand-picked articles first, then the newest sharing section or tags. No body.',
    )
    def get(self, request, slug: str):
        params = _validated(s.RelatedInputSerializer, request)
        article = selectors.article_get(slug=slug)
        related = selectors.article_related(article=article, limit=params["limit"])
        context = {"base": site_base(request)}
        return Response({"results": s.ArticleListItemSerializer(related, many=True, context=context).data})


class SectionListApi(PublicApi):
    @extend_schema(operation_id="sections_list", responses={200: s.SectionListOutputSerializer})
    def get(self, request):
        return Response({"results": s.SectionOutputSerializer(selectors.section_list(), many=True).data})


class SectionDetailApi(PublicApi):
    @extend_schema(
        operation_id="sections_retrieve", parameters=[_SLUG], responses={200: s.SectionOutputSerializer, 404: _404}
    )
    def get(self, request, slug: str):
        return Response(s.SectionOutputSerializer(selectors.section_get(slug=slug)).data)


class TagListApi(PublicApi):
    @extend_schema(operation_id="tags_list", responses={200: s.TagListOutputSerializer})
    def get(self, request):
        return Response({"results": s.TagRefSerializer(selectors.tag_list(), many=True).data})


class AuthorListApi(PublicApi):
    @extend_schema(operation_id="authors_list", responses={200: s.AuthorListOutputSerializer})
    def get(self, request):
        context = {"base": site_base(request)}
        return Response({"results": s.AuthorOutputSerializer(selectors.author_list(), many=True, context=context).data})


class AuthorDetailApi(PublicApi):
    @extend_schema(
        operation_id="authors_retrieve",
        parameters=[_SLUG],
        responses={200: s.AuthorDetailOutputSerializer, 404: _404},
        description="The author with their latest published articles (list items, newest first).",
    )
    def get(self, request, slug: str):
        author = selectors.author_get(slug=slug)
        latest = selectors.author_latest_articles(author=author, limit=10)
        context = {"base": site_base(request), "latest_articles": latest}
        return Response(s.AuthorDetailOutputSerializer(author, context=context).data)
