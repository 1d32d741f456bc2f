"""Comment moderation in the editors' admin: the moderation queue (pending comments and comments hidden by flags),
every comment, flags and bans. Bulk actions call the same services as everything else (`comments_moderate`,
`comment_ban_create`), so the visible-comment counter and reply emails stay right.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from cms.core.exceptions import ApplicationError

from .models import Comment, CommentBan, CommentFlag, PendingComment
from .selectors import comment_moderation_queue
from .services import ModerationAction, comment_ban_create, comment_ban_lift, comments_moderate


def _moderate(modeladmin, request, queryset, action: str, done: str):
    try:
        count = comments_moderate(
            comment_ids=list(queryset.values_list("pk", flat=True)), action=action, moderator=request.user
        )
    except ApplicationError as exc:
        modeladmin.message_user(request, exc.message, level=messages.ERROR)
        return
    modeladmin.message_user(request, f"{count} comment(s) {done}.", level=messages.SUCCESS)


@admin.action(description="Approve selected comments (make visible)", permissions=["change"])
def approve_comments(modeladmin, request, queryset):
    _moderate(modeladmin, request, queryset, ModerationAction.APPROVE, "approved")


@admin.action(description="Hide selected comments", permissions=["change"])
def hide_comments(modeladmin, request, queryset):
    _moderate(modeladmin, request, queryset, ModerationAction.HIDE, "hidden")


@admin.action(description="Remove selected comments", permissions=["change"])
def remove_comments(modeladmin, request, queryset):
    _moderate(modeladmin, request, queryset, ModerationAction.REMOVE, "removed")


def _ban_authors(modeladmin, request, queryset, *, days: int | None):
    ends_at = timezone.now() + timedelta(days=days) if days else None
    banned = 0
    authors = {c.author for c in queryset.select_related("author") if c.author is not None}
    for user in authors:
        try:
            comment_ban_create(user=user, by=request.user, ends_at=ends_at, reason="Banned from the moderation queue")
            banned += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{user}: {exc.message}", level=messages.WARNING)
    modeladmin.message_user(request, f"{banned} reader(s) banned from commenting.", level=messages.SUCCESS)


@admin.action(description="Ban the authors for 30 days", permissions=["change"])
def ban_authors_30_days(modeladmin, request, queryset):
    _ban_authors(modeladmin, request, queryset, days=30)


@admin.action(description="Ban the authors permanently", permissions=["change"])
def ban_authors_forever(modeladmin, request, queryset):
    _ban_authors(modeladmin, request, queryset, days=None)


class _CommentAdminBase(admin.ModelAdmin):
    """Read-only comment pages: editors act through the bulk actions, never by editing fields."""

    list_display = (
        "id",
        "excerpt",
        "author_display",
        "article",
        "status",
        "moderation_reason",
        "flag_count",
        "is_staff_reply",
        "created_at",
    )
    list_filter = ("status", "moderation_reason", "is_staff_reply", "created_at")
    search_fields = ("body", "author__email", "author__display_name", "article__title")
    list_select_related = ("author", "article")
    actions = (approve_comments, hide_comments, remove_comments, ban_authors_30_days, ban_authors_forever)
    readonly_fields = (
        "article",
        "author",
        "parent",
        "depth",
        "body",
        "rendered",
        "status",
        "moderation_reason",
        "flag_count",
        "is_staff_reply",
        "created_at",
        "edited_at",
        "moderated_by",
        "moderated_at",
    )
    fields = readonly_fields
    list_per_page = 50
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="comment")
    def excerpt(self, obj: Comment) -> str:
        return obj.body[:80] + ("…" if len(obj.body) > 80 else "")

    @admin.display(description="author")
    def author_display(self, obj: Comment) -> str:
        return obj.author.email if obj.author_id else "Deleted reader"

    @admin.display(description="as shown")
    def rendered(self, obj: Comment):
        return format_html('<div style="max-width:60em">{}</div>', obj.body_html)


@admin.register(PendingComment)
class PendingCommentAdmin(_CommentAdminBase):
    """The moderation queue: oldest first."""

    def get_queryset(self, request):
        return comment_moderation_queue()


@admin.register(Comment)
class CommentAdmin(_CommentAdminBase):
    ordering = ("-created_at", "-id")


@admin.register(CommentFlag)
class CommentFlagAdmin(admin.ModelAdmin):
    list_display = ("comment", "user", "reason", "created_at")
    list_select_related = ("comment", "user")
    raw_id_fields = ("comment", "user")
    readonly_fields = ("comment", "user", "reason", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.action(description="Lift the selected bans now", permissions=["change"])
def lift_bans(modeladmin, request, queryset):
    lifted = sum(comment_ban_lift(ban_id=pk) for pk in queryset.values_list("pk", flat=True))
    modeladmin.message_user(request, f"{lifted} ban(s) lifted.", level=messages.SUCCESS)


class CommentBanForm(forms.ModelForm):
    class Meta:
        model = CommentBan
        fields = ("user", "ends_at", "reason")

    def clean(self):
        data = super().clean()
        ends_at, user = data.get("ends_at"), data.get("user")
        if ends_at is not None and ends_at <= timezone.now() and not self.instance.pk:
            self.add_error("ends_at", "The end of a ban must be in the future.")
        if user is not None and user.is_staff:
            self.add_error("user", "Staff members cannot be banned from commenting.")
        return data


@admin.register(CommentBan)
class CommentBanAdmin(admin.ModelAdmin):
    """Ban readers from commenting, with an optional end date. New bans go through `comment_ban_create`."""

    list_display = ("user", "ends_at", "is_active", "reason", "created_by", "created_at")
    list_select_related = ("user", "created_by")
    raw_id_fields = ("user",)
    search_fields = ("user__email", "reason")
    form = CommentBanForm
    fields = ("user", "ends_at", "reason")
    actions = (lift_bans,)

    @admin.display(boolean=True, description="active")
    def is_active(self, obj: CommentBan) -> bool:
        return obj.ends_at is None or obj.ends_at > timezone.now()

    def save_model(self, request, obj: CommentBan, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        ban = comment_ban_create(user=obj.user, by=request.user, ends_at=obj.ends_at, reason=obj.reason)
        obj.pk, obj.created_at = ban.pk, ban.created_at
