"""Comments over REST. Edges only: resolve the reader, ask the paywall's decision (never counting a read), hand a
`CommentViewer` to the services/selectors, shape the output.

    GET/POST      /api/v1/articles/{slug}/comments/
    GET/PATCH/DELETE /api/v1/comments/{id}/
    POST          /api/v1/comments/{id}/flag/
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from articles.api.comment_pages import (
    PublicCommentPage,
    comment_owners,
    comment_page_for_viewer,
    comment_page_public,
)
from articles.api.serializers import ErrorOutputSerializer, datetime_representation
from articles.models import Article, Comment
from articles.selectors_comments import (
    ORDERS,
    comment_article_get,
    comment_get_any,
    comment_get_for,
    comment_thread_page,
    comments_view_is_public,
)
from articles.services.comments import (
    CommentViewer,
    comment_create,
    comment_delete,
    comment_edit,
    comment_flag,
    comments_can_post,
    comments_check_see,
)
from paywall.readers import Reader, reader_resolve, reader_token_attach
from paywall.services import access_decide


def comment_viewer_for(*, user, article: Article, reader: Reader | None = None) -> CommentViewer:
    """Ask the paywall (record=False: looking at comments never uses a metered read) who this viewer is."""
    user = user if (user is not None and user.is_authenticated) else None
    reader = Reader(user=user) if user is not None else (reader or Reader())
    decision = access_decide(reader=reader, article=article, record=False)
    return CommentViewer(
        user=user, reader_kind=decision.reader_kind, can_read_article=decision.granted or decision.would_count
    )


def _viewer(request, article: Article) -> CommentViewer:
    reader = None if request.user.is_authenticated else reader_resolve(request, issue=False)
    return comment_viewer_for(user=request.user, article=article, reader=reader)


def _private(response: Response) -> Response:
    return reader_token_attach(response, Reader())


# --- serializers ------------------------------------------------------------------------------------------------------


class CommentAuthorOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    is_staff = serializers.BooleanField()


class CommentOutputSerializer(serializers.Serializer):
    """A comment and (in lists and detail) its replies, from the selector's prefetched threads: no extra queries."""

    id = serializers.IntegerField()
    article = serializers.SerializerMethodField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    depth = serializers.IntegerField()
    author = serializers.SerializerMethodField()
    body = serializers.CharField()
    body_html = serializers.CharField()
    status = serializers.CharField()
    is_pending = serializers.SerializerMethodField()
    is_staff_reply = serializers.BooleanField()
    is_own = serializers.SerializerMethodField()
    editable_until = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    replies = serializers.SerializerMethodField()

    def _user_id(self):
        user = self.context.get("user")
        return user.pk if user is not None and user.is_authenticated else None

    def get_article(self, obj) -> str:
        return self.context.get("article_slug") or obj.article.slug

    def get_author(self, obj) -> dict:
        if getattr(obj, "is_tombstone", False):
            return {"name": "", "is_staff": False}
        return {"name": obj.author_name, "is_staff": obj.is_staff_reply}

    def get_is_pending(self, obj) -> bool:
        return obj.status == Comment.Status.PENDING

    def get_is_own(self, obj) -> bool:
        return obj.author_id is not None and obj.author_id == self._user_id()

    def get_editable_until(self, obj) -> str | None:
        if not self.get_is_own(obj):
            return None
        until = obj.created_at + timedelta(minutes=settings.COMMENTS_EDIT_WINDOW_MINUTES)
        return serializers.DateTimeField().to_representation(until) if until > timezone.now() else None

    def get_replies(self, obj) -> list[dict]:
        return [self.to_representation(child) for child in getattr(obj, "thread_children", [])]

    def to_representation(self, obj) -> dict:
        """Plain-Python rendering of the fields declared above (which document the OpenAPI schema). DRF's generic
        path built a new nested serializer, deep-copying its fields, for every reply: two thirds of a comment
        page's CPU. The schemathesis conformance test pins the shape."""
        return {
            "id": obj.pk,
            "article": self.get_article(obj),
            "parent": obj.parent_id,
            "depth": obj.depth,
            "author": self.get_author(obj),
            "body": obj.body,
            "body_html": obj.body_html,
            "status": obj.status,
            "is_pending": self.get_is_pending(obj),
            "is_staff_reply": obj.is_staff_reply,
            "is_own": self.get_is_own(obj),
            "editable_until": self.get_editable_until(obj),
            "created_at": datetime_representation(obj.created_at),
            "edited_at": datetime_representation(obj.edited_at),
            "replies": self.get_replies(obj),
        }


class CommentPageOutputSerializer(serializers.Serializer):
    results = CommentOutputSerializer(many=True)
    next = serializers.CharField(allow_null=True)
    next_cursor = serializers.CharField(allow_null=True)
    order = serializers.CharField()
    count = serializers.IntegerField(help_text="Visible comments on the article.")
    can_post = serializers.BooleanField()


class CommentListInputSerializer(serializers.Serializer):
    order = serializers.ChoiceField(choices=ORDERS, required=False, default="oldest")
    cursor = serializers.CharField(required=False, allow_blank=True, max_length=500)
    page_size = serializers.IntegerField(required=False, min_value=1)


class CommentCreateInputSerializer(serializers.Serializer):
    """Only `body` and `parent` are read: author, status, flag count and the like are ignored if sent."""

    body = serializers.CharField(trim_whitespace=False, allow_blank=True)
    parent = serializers.IntegerField(required=False, allow_null=True)


class CommentEditInputSerializer(serializers.Serializer):
    body = serializers.CharField(trim_whitespace=False, allow_blank=True)


class CommentFlagInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class CommentFlagOutputSerializer(serializers.Serializer):
    flagged = serializers.BooleanField()
    created = serializers.BooleanField(help_text="False when this reader had already flagged the comment.")


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
        article = comment_article_get(slug=slug)
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
        article = comment_article_get(slug=slug)
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
