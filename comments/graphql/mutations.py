"""Comment mutations: postComment, editComment, deleteComment, flagComment. Each asks the same services as REST
and answers `errors: [{field, code, message}]` for a domain error."""

from __future__ import annotations

import graphene

from cms.core.links import site_base
from cms.graphql.mutations import ServiceMutation

from ..errors import whole_number_parse
from ..selectors import comment_article_get, comment_get_any
from ..services import comment_create, comment_delete, comment_edit, comment_flag
from .types import CommentType, comment_viewer


def _comment_id(value) -> int:
    return whole_number_parse(value, field="id", message="Not a comment id.")


class CommentPost(ServiceMutation):
    """Post a comment or a reply as the signed-in reader (author, status and flags are never client input)."""

    class Arguments:
        article_slug = graphene.String(required=True)
        body = graphene.String(required=True)
        parent_id = graphene.ID()
        idempotency_key = graphene.String(description="Repeat with the same key: the first comment is returned.")

    comment = graphene.Field(CommentType)
    created = graphene.Boolean(description="False when a duplicate returned the first comment.")

    @classmethod
    def perform(cls, root, info, *, article_slug, body, parent_id=None, idempotency_key=None):
        article = comment_article_get(slug=article_slug, base=site_base(info.context))
        comment, created = comment_create(
            viewer=comment_viewer(info, article),
            article=article,
            body=body,
            parent_id=parent_id,
            idempotency_key=idempotency_key or info.context.headers.get("Idempotency-Key"),
        )
        comment.thread_children = []
        return {"comment": comment, "created": created}


class CommentEdit(ServiceMutation):
    class Arguments:
        id = graphene.ID(required=True)
        body = graphene.String(required=True)

    comment = graphene.Field(CommentType)

    @classmethod
    def perform(cls, root, info, *, id, body):  # noqa: A002 - the GraphQL argument is `id`
        comment = comment_get_any(comment_id=_comment_id(id))
        comment = comment_edit(viewer=comment_viewer(info, comment.article), comment_id=comment.pk, body=body)
        comment.thread_children = []
        return {"comment": comment}


class CommentDelete(ServiceMutation):
    class Arguments:
        id = graphene.ID(required=True)

    deleted = graphene.Boolean()

    @classmethod
    def perform(cls, root, info, *, id):  # noqa: A002
        comment = comment_get_any(comment_id=_comment_id(id))
        comment_delete(viewer=comment_viewer(info, comment.article), comment_id=comment.pk)
        return {"deleted": True}


class CommentFlag(ServiceMutation):
    """Report a comment; once per reader (a repeat is a no-op with created=false)."""

    class Arguments:
        id = graphene.ID(required=True)
        reason = graphene.String()

    flagged = graphene.Boolean()
    created = graphene.Boolean()

    @classmethod
    def perform(cls, root, info, *, id, reason=""):  # noqa: A002
        comment = comment_get_any(comment_id=_comment_id(id))
        _, created = comment_flag(
            viewer=comment_viewer(info, comment.article), comment_id=comment.pk, reason=reason or ""
        )
        return {"flagged": True, "created": created}


class CommentsMutations(graphene.ObjectType):
    post_comment = CommentPost.Field()
    edit_comment = CommentEdit.Field()
    delete_comment = CommentDelete.Field()
    flag_comment = CommentFlag.Field()
