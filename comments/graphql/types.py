"""Comments over GraphQL: the `Comment` type and the `article { comments(...) }` field (mutations in
`mutations.py`). Same services, selectors and paywall question as REST (`comments.viewers.comment_viewer_for`),
so both surfaces answer the same decisions.

Errors: a query field raises the domain error (mapped to `extensions.code`, e.g. `login_required` with the message
of the reference page).
"""

from __future__ import annotations

import graphene
from django.conf import settings
from graphene_django import DjangoObjectType

from articles.models import Article
from cms.core.exceptions import ApplicationError
from cms.graphql.context import request_reader

from ..models import Comment
from ..selectors import comment_thread_page
from ..services import comments_can_post, comments_check_see
from ..viewers import comment_viewer_for


def _user(info):
    user = getattr(info.context, "user", None)
    return user if user is not None and user.is_authenticated else None


def comment_viewer(info, article: Article):
    user = _user(info)
    reader = request_reader(info) if user is None else None
    return comment_viewer_for(user=user, article=article, reader=reader)


class CommentAuthorType(graphene.ObjectType):
    name = graphene.String(required=True, description='Display name; "Deleted reader" for a deleted account.')
    is_staff = graphene.Boolean(required=True)

    class Meta:
        name = "CommentAuthor"


class CommentType(DjangoObjectType):
    id = graphene.Int(required=True)
    status = graphene.String(
        required=True,
        description="visible | pending (only ever shown to its author) | removed (a tombstone: no body, no author, "
        "kept because it has visible replies)",
    )
    author = graphene.Field(CommentAuthorType, required=True)
    parent_id = graphene.Int()
    is_pending = graphene.Boolean(required=True)
    is_own = graphene.Boolean(required=True)
    replies = graphene.List(
        graphene.NonNull(lambda: CommentType),
        required=True,
        description=f"Replies, threaded down to depth {settings.COMMENTS_MAX_DEPTH} (fetched with the page).",
    )

    class Meta:
        model = Comment
        name = "Comment"
        fields = ("id", "depth", "body", "body_html", "status", "is_staff_reply", "created_at", "edited_at")

    @staticmethod
    def resolve_author(root: Comment, info):
        if getattr(root, "is_tombstone", False):
            return CommentAuthorType(name="", is_staff=False)
        return CommentAuthorType(name=root.author_name, is_staff=root.is_staff_reply)

    @staticmethod
    def resolve_parent_id(root: Comment, info):
        return root.parent_id

    @staticmethod
    def resolve_is_pending(root: Comment, info):
        return root.status == Comment.Status.PENDING

    @staticmethod
    def resolve_is_own(root: Comment, info):
        user = _user(info)
        return user is not None and root.author_id == user.pk

    @staticmethod
    def resolve_replies(root: Comment, info):
        return getattr(root, "thread_children", [])


class CommentPageType(graphene.ObjectType):
    results = graphene.List(graphene.NonNull(CommentType), required=True)
    next_cursor = graphene.String(description="Pass as `after` for the next page; null on the last page.")
    order = graphene.String(required=True)
    count = graphene.Int(required=True, description="Visible comments on the article.")
    can_post = graphene.Boolean(required=True)

    class Meta:
        name = "CommentPage"


def resolve_article_comments(article: Article, info, order: str = "oldest", first: int | None = None, after=None):
    """`Article.comments`: the see-policy and the paywall (record=False) are asked; anonymous readers get the
    `login_required` error, readers who cannot read the article `article_locked`."""
    viewer = comment_viewer(info, article)
    comments_check_see(viewer=viewer)
    try:
        page = comment_thread_page(article=article, user=viewer.user, order=order, cursor=after, page_size=first)
    except ApplicationError as exc:  # name the GraphQL argument, not the REST parameter
        exc.field = {"page_size": "first", "cursor": "after"}.get(exc.field, exc.field)
        raise
    return CommentPageType(
        results=page.results,
        next_cursor=page.next_cursor,
        order=page.order,
        count=article.comment_count,
        can_post=comments_can_post(viewer=viewer),
    )


def comments_field() -> graphene.Field:
    """The field to put on ArticleType: `comments = comments_field()` and `resolve_comments = ...`."""
    return graphene.Field(
        CommentPageType,
        order=graphene.String(default_value="oldest", description="oldest | newest (top-level comments)"),
        first=graphene.Int(description="Top-level comments per page (default 20, at most 100)."),
        after=graphene.String(),
        description="Threaded comments. Needs a signed-in reader under the default policy; never uses a metered read.",
    )
