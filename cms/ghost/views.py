"""The Ghost-compatible Content API: thin views that parse Ghost's parameters, read through `cms.ghost.selectors`,
ask the paywall's one decision, and shape with `cms.ghost.presenters`.

Every route: GET/HEAD/OPTIONS only (405 otherwise), a Content API key (`?key=`) checked first, Ghost's error
envelope, `Access-Control-Allow-Origin: *`, `Content-Version` and `Vary: Accept-Version`. Answers that are the same
for everyone (browse without a reader, pages, authors, tags, settings, tiers) are cached and carry an ETag
(`cms.core.caching.public_cached`); answers that depend on the reader are `private, no-store`.
"""

from __future__ import annotations

import functools
import math
import re

from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from accounts.throttling import GhostRateThrottle
from cms.core.caching import public_cached
from cms.core.exceptions import ApplicationError
from cms.core.params import query_string_check_utf8
from cms.core.selectors import site_settings_get
from paywall.readers import HEADER_NAME, Reader, reader_token_attach
from paywall.selectors import plan_list_active
from paywall.services import access_decide, access_decide_many, gift_offer_payload, gift_payload

from . import ids, presenters, queries, selectors
from .errors import (
    GhostError,
    MethodNotAllowedError,
    NoPermissionError,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
    ValidationError,
    error_response,
)
from .keys import content_api_key_verify
from .params import Params, gift_token_parse, params_parse
from .readers import ghost_reader, reader_identified
from .streaming import stream_browse

POST_ORDER = {
    "id": "id",
    "title": "title",
    "slug": "slug",
    "published_at": "published_at",
    "updated_at": "updated_at",
    "created_at": "created_at",
    "featured": None,  # Masthead has no featured flag: every post is unfeatured, the clause changes nothing
}
PAGE_ORDER = {k: v for k, v in POST_ORDER.items() if k != "id"} | {"id": "id"}
AUTHOR_ORDER = {"id": "id", "name": "name", "slug": "slug"}
TAG_ORDER = {"id": "id", "name": "name", "slug": "slug"}
ALLOWED_METHODS = "GET, HEAD, OPTIONS"
DEFAULT_CONTENT_VERSION = "v5.0"
EXPOSED_HEADERS = f"Content-Version, ETag, Retry-After, {HEADER_NAME}"
_VERSION = re.compile(r"v(\d{1,3})(?:\.|$)")


# --- the envelope every route shares ------------------------------------------------------------------------------


def _content_version(request, version: str | None) -> str:
    match = _VERSION.match(request.headers.get("Accept-Version", "") or (version or ""))
    return f"v{match.group(1)}.0" if match else DEFAULT_CONTENT_VERSION


def _finish(request, response: HttpResponse, version: str | None) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    response["Content-Version"] = _content_version(request, version)
    vary = [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]
    response["Vary"] = ", ".join(dict.fromkeys([*vary, "Accept-Version"]))
    return response


def _preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
    response["Access-Control-Allow-Headers"] = f"Accept-Version, Authorization, Content-Type, {HEADER_NAME}"
    response["Access-Control-Max-Age"] = "86400"
    response["Allow"] = ALLOWED_METHODS
    return response


def _key_check(request) -> None:
    raw = request.GET.get("key")
    if not raw:
        raise NoPermissionError(
            "Authorization failed",
            context="Unable to determine the authenticated member or integration. Check the supplied Content API "
            "Key and ensure cookies are being passed through if member auth is failing.",
        )
    if not content_api_key_verify(raw):
        raise UnauthorizedError("Unknown Content API Key", code="UNKNOWN_CONTENT_API_KEY")


def _throttle_check(request) -> None:
    throttle = GhostRateThrottle()
    if not throttle.allow_request(request, None):
        wait = max(1, math.ceil(throttle.wait() or 1))
        raise TooManyRequestsError(
            f"Too many requests: try again in {wait} seconds.", context="THROTTLE_GHOST", retry_after=wait
        )


def ghost_endpoint(handler):
    """Wrap a handler `(request, *, versioned, **kwargs) -> HttpResponse` with the shared envelope."""

    @functools.wraps(handler)
    def view(request, *, version: str | None = None, **kwargs):
        if request.method == "OPTIONS":
            return _finish(request, _preflight(), version)
        if request.method not in ("GET", "HEAD"):
            response = error_response(MethodNotAllowedError(f"Method {request.method[:10]} is not allowed."))
            response["Allow"] = ALLOWED_METHODS
            return _finish(request, response, version)
        try:
            _throttle_check(request)
            try:
                query_string_check_utf8(request)
            except ApplicationError as exc:
                raise ValidationError(exc.message, prop=exc.field) from None
            _key_check(request)
            response = handler(request, versioned=version is not None, **kwargs)
        except GhostError as exc:
            response = error_response(exc)
            if isinstance(exc, TooManyRequestsError):
                response["Retry-After"] = str(exc.retry_after)
        return _finish(request, response, version)

    view.csrf_exempt = True
    return view


def _slug(value: str) -> str:
    """A slug that cannot exist (control characters, NUL, too long) is simply not found, never sent to SQL."""
    if not value or len(value) > 300 or not value.isprintable():
        raise NotFoundError()
    return value


def _pk(kind: str, value: str) -> int:
    try:
        pk = ids.ghost_pk(kind, value)
    except ids.MalformedId:
        raise ValidationError("Validation (isObjectId) failed for id", prop="id") from None
    if pk is None:
        raise NotFoundError()
    return pk


def _pagination(*, params: Params, total: int) -> dict:
    if params.limit is None:
        return {"page": 1, "limit": "all", "pages": 1, "total": total, "next": None, "prev": None}
    pages = max(1, math.ceil(total / params.limit))
    return {
        "page": params.page,
        "limit": params.limit,
        "pages": pages,
        "total": total,
        "next": params.page + 1 if params.page < pages else None,
        "prev": params.page - 1 if params.page > 1 else None,
    }


def _page_slice(qs, params: Params) -> tuple[list, int]:
    total = qs.count()
    start = (params.page - 1) * params.limit
    return (list(qs[start : start + params.limit]) if start < total else []), total


def _browse_response(request, resource: str, render) -> HttpResponse:
    """A browse that is the same for everyone: cached with an ETag (304 on a match)."""
    return public_cached(request, render)


def _public_browse(request, *, resource: str, versioned: bool, order_fields: dict, render) -> HttpResponse:
    """Pages, authors and tags: the same for every reader; `limit=all` (versioned prefixes) is streamed, any other
    page cached. `render(params=..., now=...)` answers one page."""
    params = params_parse(request, order_fields=order_fields, allow_all=versioned)
    now = timezone.now()
    if params.limit is None:
        return stream_browse(resource=resource, params=params, reader=Reader(), now=now)
    return _browse_response(request, resource, lambda: render(params=params, now=now))


def _read_endpoints(resource: str, read, kind: str):
    """The two routes of one resource, by id and by slug (`<resource>_read_id`, `<resource>_read_slug`), both
    answered by `read(request, lookup)`."""

    def read_id(request, *, versioned: bool, id: str):
        return read(request, {"pk": _pk(kind, id)})

    def read_slug(request, *, versioned: bool, slug: str):
        return read(request, {"slug": _slug(slug)})

    read_id.__name__ = read_id.__qualname__ = f"{resource}_read_id"
    read_slug.__name__ = read_slug.__qualname__ = f"{resource}_read_slug"
    return ghost_endpoint(read_id), ghost_endpoint(read_slug)


# --- posts --------------------------------------------------------------------------------------------------------


def _posts_render(*, params: Params, reader: Reader, now) -> JsonResponse:
    qs = queries.posts_query(params, now=now)
    if params.include & {"authors", "tags"}:
        qs = selectors.posts_with_relations(qs)
    else:
        qs = qs.select_related("section", "hero_image")
    items, total = _page_slice(qs, params)
    decisions = access_decide_many(reader=reader, articles=items, now=now)  # a look: never counts
    posts = [presenters.post_shape_for(article, decision=decisions[article.pk], params=params) for article in items]
    return JsonResponse({"posts": posts, "meta": {"pagination": _pagination(params=params, total=total)}})


@ghost_endpoint
def posts_browse(request, *, versioned: bool):
    params = params_parse(request, order_fields=POST_ORDER, allow_all=versioned)
    now = timezone.now()
    identified = reader_identified(request)
    reader = ghost_reader(request, issue=False) if identified else Reader()
    if params.limit is None:
        response = stream_browse(resource="posts", params=params, reader=reader, now=now)
        return _reader_token_echo(request, _private(response, identified), reader)
    if identified:
        response = _private(_posts_render(params=params, reader=reader, now=now), True)
        return _reader_token_echo(request, response, reader)
    response = _browse_response(request, "posts", lambda: _posts_render(params=params, reader=reader, now=now))
    response["Vary"] = f"Authorization, {HEADER_NAME}"
    return response


def _private(response: HttpResponse, identified: bool) -> HttpResponse:
    """Posts depend on the reader: private when one is named, and either way `Vary` says so to caches."""
    if identified:
        response["Cache-Control"] = "private, no-store"
    response["Vary"] = f"Authorization, {HEADER_NAME}"
    return response


def _post_read(request, lookup: dict) -> HttpResponse:
    """A single post: counts a metered read exactly like `GET /api/v1/articles/{slug}/` (HEAD never counts). With
    `?gift=<token>` (a Masthead gift link) the post carries `gift` and `offer` as the REST detail does."""
    params = params_parse(request, order_fields=POST_ORDER, allow_all=False)
    gift = gift_token_parse(request)
    article = selectors.posts_with_relations(selectors.posts_public()).filter(**lookup).first()
    if article is None:
        raise NotFoundError("Post not found.")
    reader = ghost_reader(request, issue=True)
    decision = access_decide(reader=reader, article=article, record=request.method == "GET", gift_token=gift)
    post = presenters.post_shape_for(article, decision=decision, params=params)
    if gift is not None:
        post.update(gift=gift_payload(decision), offer=gift_offer_payload(decision=decision, reader=reader))
    response = reader_token_attach(JsonResponse({"posts": [post]}), reader)
    return _reader_token_echo(request, response, reader)


def _reader_token_echo(request, response: HttpResponse, reader: Reader) -> HttpResponse:
    """The response returns the reader's token: a new one when issued (`reader_token_attach`), else the valid one the
    frontend sent, so a server-side frontend can always forward what it got."""
    if not reader.new_token and reader.user is None and reader.anon_id and request.headers.get(HEADER_NAME):
        response[HEADER_NAME] = request.headers[HEADER_NAME]
    return response


posts_read_id, posts_read_slug = _read_endpoints("posts", _post_read, ids.POST)


# --- pages --------------------------------------------------------------------------------------------------------


def _pages_render(*, params: Params, now) -> JsonResponse:
    items, total = _page_slice(queries.pages_query(params, now=now), params)
    pages = [
        presenters.page_shape(p, include=params.include, fields=params.fields, formats=params.formats) for p in items
    ]
    return JsonResponse({"pages": pages, "meta": {"pagination": _pagination(params=params, total=total)}})


@ghost_endpoint
def pages_browse(request, *, versioned: bool):
    return _public_browse(request, resource="pages", versioned=versioned, order_fields=PAGE_ORDER, render=_pages_render)


def _page_read(request, lookup: dict) -> HttpResponse:
    params = params_parse(request, order_fields=PAGE_ORDER, allow_all=False)

    def render():
        page = selectors.pages_public().filter(**lookup).first()
        if page is None:
            raise NotFoundError("Page not found.")
        shaped = presenters.page_shape(page, include=params.include, fields=params.fields, formats=params.formats)
        return JsonResponse({"pages": [shaped]})

    return public_cached(request, render)


pages_read_id, pages_read_slug = _read_endpoints("pages", _page_read, ids.PAGE)


# --- authors ------------------------------------------------------------------------------------------------------


def _authors_render(*, params: Params, now) -> JsonResponse:
    with_count = "count.posts" in params.include
    items, total = _page_slice(queries.authors_query(params, now=now), params)
    authors = [
        presenters.fields_select(
            presenters.author_shape(a, with_count=with_count), params.fields, presenters.AUTHOR_FIELDS
        )
        for a in items
    ]
    return JsonResponse({"authors": authors, "meta": {"pagination": _pagination(params=params, total=total)}})


@ghost_endpoint
def authors_browse(request, *, versioned: bool):
    return _public_browse(
        request, resource="authors", versioned=versioned, order_fields=AUTHOR_ORDER, render=_authors_render
    )


def _author_read(request, lookup: dict) -> HttpResponse:
    params = params_parse(request, order_fields=AUTHOR_ORDER, allow_all=False)
    with_count = "count.posts" in params.include

    def render():
        author = selectors.authors_public(with_counts=with_count).filter(**lookup).first()
        if author is None:
            raise NotFoundError("Author not found.")
        shaped = presenters.author_shape(author, with_count=with_count)
        return JsonResponse({"authors": [presenters.fields_select(shaped, params.fields, presenters.AUTHOR_FIELDS)]})

    return public_cached(request, render)


authors_read_id, authors_read_slug = _read_endpoints("authors", _author_read, ids.AUTHOR)


# --- tags: sections first (the primary tags), then tags -------------------------------------------------------------


def _tags_render(*, params: Params, now) -> JsonResponse:
    with_count = "count.posts" in params.include
    (sections, _), (tags, _) = queries.tags_queries(params, now=now)
    n_sections, n_tags = sections.count(), tags.count()
    start, end = (params.page - 1) * params.limit, params.page * params.limit
    items = [(s, True) for s in sections[start:end]] if start < n_sections else []
    tag_start, tag_end = max(0, start - n_sections), max(0, end - n_sections)
    if tag_end > tag_start and tag_start < n_tags:
        items += [(t, False) for t in tags[tag_start:tag_end]]
    shaped = [
        presenters.fields_select(
            presenters.tag_shape(o, is_section=s, with_count=with_count), params.fields, presenters.TAG_FIELDS
        )
        for o, s in items
    ]
    return JsonResponse({"tags": shaped, "meta": {"pagination": _pagination(params=params, total=n_sections + n_tags)}})


@ghost_endpoint
def tags_browse(request, *, versioned: bool):
    return _public_browse(request, resource="tags", versioned=versioned, order_fields=TAG_ORDER, render=_tags_render)


def _tag_read(request, *, id: str | None = None, slug: str | None = None) -> HttpResponse:
    params = params_parse(request, order_fields=TAG_ORDER, allow_all=False)
    with_count = "count.posts" in params.include
    kind, pk = None, None
    if id is not None:
        try:
            kind, pk = ids.ghost_id_parse(id)
        except ids.MalformedId:
            raise ValidationError("Validation (isObjectId) failed for id", prop="id") from None

    def render():
        found, is_section = None, False
        if slug is not None or kind == ids.SECTION:
            lookup = {"slug": slug} if slug is not None else {"pk": pk}
            found, is_section = selectors.sections_public(with_counts=with_count).filter(**lookup).first(), True
        if found is None and (slug is not None or kind == ids.TAG):
            lookup = {"slug": slug} if slug is not None else {"pk": pk}
            found, is_section = selectors.tags_public(with_counts=with_count).filter(**lookup).first(), False
        if found is None:
            raise NotFoundError("Tag not found.")
        shaped = presenters.tag_shape(found, is_section=is_section, with_count=with_count)
        return JsonResponse({"tags": [presenters.fields_select(shaped, params.fields, presenters.TAG_FIELDS)]})

    return public_cached(request, render)


@ghost_endpoint
def tags_read_id(request, *, versioned: bool, id: str):
    return _tag_read(request, id=id)


@ghost_endpoint
def tags_read_slug(request, *, versioned: bool, slug: str):
    return _tag_read(request, slug=_slug(slug))


# --- settings and tiers ---------------------------------------------------------------------------------------------


@ghost_endpoint
def settings_read(request, *, versioned: bool):
    return public_cached(
        request, lambda: JsonResponse({"settings": presenters.settings_shape(site_settings_get()), "meta": {}})
    )


def _tiers_render() -> JsonResponse:
    tiers = [presenters.free_tier_shape(), *(presenters.tier_shape(plan) for plan in plan_list_active())]
    meta = {"pagination": {"page": 1, "limit": "all", "pages": 1, "total": len(tiers), "next": None, "prev": None}}
    return JsonResponse({"tiers": tiers, "meta": meta})


@ghost_endpoint
def tiers_browse(request, *, versioned: bool):
    return public_cached(request, _tiers_render)


@ghost_endpoint
def unknown_route(request, *, versioned: bool):
    raise NotFoundError("Resource not found")
