"""Comments over REST. Edges only: resolve the reader, ask the paywall's decision (never counting a read) through
`comments.viewers`, hand the `CommentViewer` to the services/selectors, shape the output.

    GET/POST      /api/v1/articles/{slug}/comments/
    GET/PATCH/DELETE /api/v1/comments/{id}/
    POST          /api/v1/comments/{id}/flag/
"""

from __future__ import annotations

from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from articles.models import Article
from cms.api.serializers import ErrorOutputSerializer
from cms.core.links import site_base
from paywall.readers import Reader, reader_resolve, reader_token_attach

from ..caching import PublicCommentPage, comment_owners, comment_page_for_viewer, comment_page_public
from ..models import Comment
from ..selectors import (
    comment_article_get,
    comment_get_any,
    comment_get_for,
    comment_thread_page,
    comments_view_is_public,
)
from ..services import (
    CommentViewer,
    comment_create,
    comment_delete,
    comment_edit,
    comment_flag,
    comments_can_post,
    comments_check_see,
)
from ..viewers import comment_viewer_for
from .serializers import (
    CommentCreateInputSerializer,
    CommentEditInputSerializer,
    CommentFlagInputSerializer,
    CommentFlagOutputSerializer,
    CommentListInputSerializer,
    CommentOutputSerializer,
    CommentPageOutputSerializer,
)


def _viewer(request, article: Article) -> CommentViewer:
    reader = None if request.user.is_authenticated else reader_resolve(request, issue=False)
    return comment_viewer_for(user=request.user, article=article, reader=reader)


def _private(response: Response) -> Response:
    return reader_token_attach(response, Reader())


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _out(comment: Comment, request, *, article_slug: str | None = None) -> dict:
    context = {"user": request.user, "article_slug": article_slug}
    return CommentOutputSerializer(comment, context=context).data


_ERRORS = {
    400: OpenApiResponse(ErrorOutputSerializer, description="Bad input; `errors[].field` names it."),
    401: OpenApiResponse(ErrorOutputSerializer, description="`login_required`: not signed in."),
    403: OpenApiResponse(
        ErrorOutputSerializer,
        description="`subscription_required`, `article_locked`, `banned`, `not_author`, `edit_window_closed`.",
    ),
    404: OpenApiResponse(ErrorOutputSerializer, description="No such (visible) comment or article."),
}
_SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH)
_ID = OpenApiParameter("comment_id", int, OpenApiParameter.PATH)
_IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Repeat a POST with the same key and the first comment is returned (200) instead of a second one.",
)


# --- views ------------------------------------------------------------------------------------------------------------


class ArticleCommentsApi(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="article_comments_list",
        parameters=[_SLUG, CommentListInputSerializer],
        responses={200: CommentPageOutputSerializer, **_ERRORS},
        description="Top-level comments (oldest or newest first, cursor-paginated), each with replies threaded to "
        "depth 3. 401 for anonymous readers, 403 when the policy or the paywall says no.",
    )
    def get(self, request, slug: str):
        params = _validated(CommentListInputSerializer, request.query_params)
        article = comment_article_get(slug=slug, base=site_base(request))
        viewer = _viewer(request, article)
        comments_check_see(viewer=viewer)
        user_id = viewer.user.pk if viewer.user is not None else None
        args = {"order": params["order"], "cursor": params.get("cursor"), "page_size": params.get("page_size")}

        def render(user) -> PublicCommentPage:
            page = comment_thread_page(article=article, user=user, **args)
            next_url = None
            if page.next_cursor:
                query = urlencode({"order": page.order, "cursor": page.next_cursor, "page_size": page.page_size})
                next_url = request.build_absolute_uri(f"{request.path}?{query}")
            context = {"user": user, "article_slug": article.slug}
            data = {
                "results": CommentOutputSerializer(page.results, many=True, context=context).data,
                "next": next_url,
                "next_cursor": page.next_cursor,
                "order": page.order,
            }
            return PublicCommentPage(data=data, owners=comment_owners(page.results))

        if comments_view_is_public(article=article, user=viewer.user):
            public = comment_page_public(
                article_id=article.pk, host=request.get_host(), render=lambda: render(None), **args
            )
            data = comment_page_for_viewer(public, user_id=user_id)
        else:
            data = render(viewer.user).data
        data = {
            **data,
            "count": article.comment_count,
            "can_post": comments_can_post(viewer=viewer),
        }
        return _private(Response(data))

    @extend_schema(
        operation_id="article_comments_create",
        parameters=[_SLUG, _IDEMPOTENCY],
        request=CommentCreateInputSerializer,
        responses={
            201: CommentOutputSerializer,
            200: CommentOutputSerializer,
            **_ERRORS,
            429: OpenApiResponse(ErrorOutputSerializer, description="`rate_limited`, with `retry_after` seconds."),
        },
        description="Post a comment (or a reply with `parent`). 201 when created; 200 with the first comment for a "
        "repeated Idempotency-Key or the same text within a minute. 429 over the rate limit.",
    )
    def post(self, request, slug: str):
        article = comment_article_get(slug=slug, base=site_base(request))
        viewer = _viewer(request, article)
        data = _validated(CommentCreateInputSerializer, request.data)
        comment, created = comment_create(
            viewer=viewer,
            article=article,
            body=data["body"],
            parent_id=data.get("parent"),
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        comment.thread_children = []
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return _private(Response(_out(comment, request, article_slug=article.slug), status=code))


class CommentDetailApi(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="comments_retrieve", parameters=[_ID], responses={200: CommentOutputSerializer, **_ERRORS}
    )
    def get(self, request, comment_id: int):
        comment = comment_get_any(comment_id=comment_id)
        viewer = _viewer(request, comment.article)
        comments_check_see(viewer=viewer)
        comment = comment_get_for(comment_id=comment.pk, user=viewer.user)
        return _private(Response(_out(comment, request)))

    @extend_schema(
        operation_id="comments_partial_update",
        parameters=[_ID],
        request=CommentEditInputSerializer,
        responses={200: CommentOutputSerializer, **_ERRORS},
        description="Edit your own comment within the edit window (COMMENTS_EDIT_WINDOW_MINUTES, default 15).",
    )
    def patch(self, request, comment_id: int):
        comment = comment_get_any(comment_id=comment_id)
        viewer = _viewer(request, comment.article)
        data = _validated(CommentEditInputSerializer, request.data)
        comment = comment_edit(viewer=viewer, comment_id=comment.pk, body=data["body"])
        comment.thread_children = []
        return _private(Response(_out(comment, request)))

    @extend_schema(operation_id="comments_destroy", parameters=[_ID], responses={204: None, **_ERRORS})
    def delete(self, request, comment_id: int):
        comment = comment_get_any(comment_id=comment_id)
        viewer = _viewer(request, comment.article)
        comment_delete(viewer=viewer, comment_id=comment.pk)
        return _private(Response(status=status.HTTP_204_NO_CONTENT))


class CommentFlagApi(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="comments_flag",
        parameters=[_ID],
        request=CommentFlagInputSerializer,
        responses={201: CommentFlagOutputSerializer, 200: CommentFlagOutputSerializer, **_ERRORS},
        description="Report a comment, once per reader: a repeated flag is a 200 no-op.",
    )
    def post(self, request, comment_id: int):
        comment = comment_get_any(comment_id=comment_id)
        viewer = _viewer(request, comment.article)
        data = _validated(CommentFlagInputSerializer, request.data)
        _, created = comment_flag(viewer=viewer, comment_id=comment.pk, reason=data.get("reason", ""))
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return _private(Response({"flagged": True, "created": created}, status=code))
