"""Input and output serializers of the comments REST API. The output is rendered in plain Python (see
`CommentOutputSerializer.to_representation`); the declared fields document the OpenAPI schema."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from ..models import Comment
from ..presenters import comment_editable_until, datetime_out
from ..selectors import ORDERS


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
        return comment_editable_until(created_at=obj.created_at, now=timezone.now())

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
            "created_at": datetime_out(obj.created_at),
            "edited_at": datetime_out(obj.edited_at),
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
