"""The editors' admin. Every write goes through the article services (`article_save`, `article_publish`,
`article_unpublish`, `image_save`), so sanitising, the preview cut, roles and events apply exactly as in the API.

Roles: an "Editor" (`articles.publish_article`) publishes; a "Contributor" writes drafts. For contributors the
publish actions are hidden and the status choices stop at draft; the service refuses anyway if they try.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, Prefetch
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from cms.core.exceptions import ApplicationError

from .forms import ArticleAdminForm, ImageAdminForm
from .models import Article, ArticleAuthor, Author, Image, Page, Section, Tag
from .services import article_publish, article_save, article_unpublish
from .services.articles import PUBLISH_PERMISSION
from .services.images import image_save
from .services.pages import page_prepare
from .services.preview import preview_token_create


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "ordering", "article_count")
    list_editable = ("ordering",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("ordering", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_article_count=Count("articles"))

    @admin.display(description="articles", ordering="_article_count")
    def article_count(self, obj: Section) -> int:
        return obj._article_count


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "user")
    search_fields = ("name", "slug", "bio")
    prepopulated_fields = {"slug": ("name",)}
    raw_id_fields = ("user",)


def _thumbnail(image: Image | None, *, width: int = 160):
    if image is None or not image.file:
        return "—"
    small = min(image.renditions or [{"url": image.file.url, "width": image.width}], key=lambda r: r["width"])
    return format_html('<img src="{}" alt="{}" style="max-width:{}px;height:auto">', small["url"], image.alt, width)


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    form = ImageAdminForm
    list_display = ("thumbnail", "__str__", "credit", "width", "height", "rendition_count", "created_at")
    search_fields = ("title", "alt", "caption", "credit")
    ordering = ("-created_at", "-id")
    readonly_fields = ("preview", "width", "height", "renditions_table")
    fields = ("file", "preview", "title", "alt", "caption", "credit", "width", "height", "renditions_table")

    @admin.display(description="thumbnail")
    def thumbnail(self, obj: Image):
        return _thumbnail(obj, width=80)

    @admin.display(description="preview")
    def preview(self, obj: Image):
        return _thumbnail(obj, width=320)

    @admin.display(description="renditions")
    def rendition_count(self, obj: Image) -> int:
        return len(obj.renditions or [])

    @admin.display(description="renditions")
    def renditions_table(self, obj: Image):
        if not obj.renditions:
            return "Generated in the background after the upload is saved."
        return format_html_join(
            "",
            '<div><a href="{}">{}×{} {}</a></div>',
            ((r["url"], r["width"], r["height"], r["format"]) for r in obj.renditions),
        )

    def save_model(self, request, obj, form, change):
        image_save(image=obj, user=request.user)


class ArticleAuthorInline(admin.TabularInline):
    """The byline, in `order` (lowest first)."""

    model = ArticleAuthor
    extra = 1
    fields = ("author", "order")
    autocomplete_fields = ("author",)
    ordering = ("order", "id")
    verbose_name = "author"
    verbose_name_plural = "authors (byline order: lowest first)"

    # The byline is part of the article: whoever may write the article may edit its byline (as for an
    # auto-created through table), without separate ArticleAuthor permissions in the roles.
    def _can_write(self, request) -> bool:
        return request.user.has_perm("articles.add_article") or request.user.has_perm("articles.change_article")

    def has_add_permission(self, request, obj=None) -> bool:
        return self._can_write(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._can_write(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._can_write(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._can_write(request) or request.user.has_perm("articles.view_article")


def _api_url(article: Article) -> str:
    try:
        return reverse("api:article-detail", kwargs={"slug": article.slug})
    except NoReverseMatch:  # the REST detail route is registered by articles/api/urls.py
        return f"/api/v1/articles/{article.slug}/"


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    form = ArticleAdminForm
    inlines = (ArticleAuthorInline,)
    list_display = (
        "title",
        "status",
        "section",
        "byline",
        "access_level",
        "published_at",
        "updated_at",
        "comment_count",
    )
    list_filter = ("status", "section", "authors", "access_level", "published_at")
    list_select_related = ("section",)
    search_fields = ("title", "dek", "slug")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("section", "tags", "related_articles", "hero_image")
    date_hierarchy = "published_at"
    show_full_result_count = False
    list_per_page = 50
    PUBLISH_ACTIONS = ("publish_selected", "unpublish_selected", "archive_selected")
    actions = PUBLISH_ACTIONS
    readonly_fields = ("preview_link", "hero_preview", "version", "comment_count", "created_by", "updated_at")
    fieldsets = (
        (None, {"fields": ("title", "slug", "dek", "body")}),
        ("Publishing", {"fields": ("status", "published_at", "access_level", "preview_link")}),
        ("Placement", {"fields": ("section", "tags", "related_articles")}),
        ("Hero image and source", {"fields": ("hero_image", "hero_preview", "source_name", "source_url")}),
        ("SEO", {"classes": ("collapse",), "fields": ("seo_title", "seo_description")}),
        ("Record", {"classes": ("collapse",), "fields": ("version", "comment_count", "created_by", "updated_at")}),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch(
                    "article_authors",
                    queryset=ArticleAuthor.objects.select_related("author").order_by("order", "id"),
                    to_attr="ordered_article_authors",
                )
            )
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm(PUBLISH_PERMISSION):
            for name in self.PUBLISH_ACTIONS:
                actions.pop(name, None)
        return actions

    def changelist_view(self, request, extra_context=None):
        # A contributor posting a publish action anyway (a stale page, a hand-made request) is told why.
        if (
            request.method == "POST"
            and request.POST.get("action") in self.PUBLISH_ACTIONS
            and not request.user.has_perm(PUBLISH_PERMISSION)
        ):
            self.message_user(request, "Only editors can publish, unpublish or archive articles.", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)

    @admin.display(description="authors")
    def byline(self, obj: Article) -> str:
        links = getattr(obj, "ordered_article_authors", None)
        if links is None:
            links = obj.article_authors.select_related("author")
        return ", ".join(link.author.name for link in links)

    @admin.display(description="hero as published")
    def hero_preview(self, obj: Article):
        image = obj.hero_image if obj and obj.pk else None
        if image is None:
            return "—"
        return format_html(
            '{}<div class="help">{} · {}</div>', _thumbnail(image), image.credit or "no credit", image.alt
        )

    @admin.display(description="preview")
    def preview_link(self, obj: Article):
        if obj is None or obj.pk is None:
            return "Save the draft to get a preview link."
        if obj.status == Article.Status.PUBLISHED:
            return format_html('<a href="{}" target="_blank" rel="noopener">Live article (API)</a>', _api_url(obj))
        url = f"{_api_url(obj)}?preview={preview_token_create(article=obj)}"
        hours = settings.ARTICLE_PREVIEW_TOKEN_MAX_AGE // 3600
        return format_html(
            '<a class="button" href="{}" target="_blank" rel="noopener">Preview</a> '
            '<span class="help">Signed link, valid for {} hours: share it with anyone who should read the draft. '
            "<code>{}</code></span>",
            url,
            hours,
            url,
        )

    # --- writes go through the services -------------------------------------------------------------------------
    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        article_save(article=obj, user=request.user)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form asks the service first (see ArticleAdminForm); this is the net for a refusal that only a race
        # can produce. The admin's transaction is rolled back and the editor gets a message instead of a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            self.message_user(request, f"Not saved: {exc.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def _bulk(self, request, queryset, *, verb: str, call) -> None:
        done, refused = 0, []
        for article in queryset.order_by("pk"):
            try:
                call(article)
                done += 1
            except ApplicationError as exc:
                refused.append(f"“{article.title}”: {exc.message}")
        if done:
            self.message_user(request, f"{done} article(s) {verb}.", messages.SUCCESS)
        for message in refused[:10]:
            self.message_user(request, f"Not {verb}: {message}", messages.ERROR)
        if len(refused) > 10:
            self.message_user(request, f"… and {len(refused) - 10} more refused.", messages.ERROR)

    @admin.action(description="Publish selected articles now")
    def publish_selected(self, request, queryset):
        self._bulk(request, queryset, verb="published", call=lambda a: article_publish(article=a, user=request.user))

    @admin.action(description="Unpublish selected articles (back to draft)")
    def unpublish_selected(self, request, queryset):
        self._bulk(
            request, queryset, verb="unpublished", call=lambda a: article_unpublish(article=a, user=request.user)
        )

    @admin.action(description="Archive (withdraw) selected articles")
    def archive_selected(self, request, queryset):
        self._bulk(
            request,
            queryset,
            verb="archived",
            call=lambda a: article_unpublish(article=a, user=request.user, archive=True),
        )


# --- Pages (standalone: About, Contact) ------------------------------------------------------------------------------


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "status", "published_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    raw_id_fields = ("feature_image",)
    fields = (
        "title", "slug", "status", "published_at", "excerpt", "body", "feature_image", "seo_title", "seo_description",
    )  # fmt: skip

    def save_model(self, request, obj, form, change):
        page_prepare(page=obj)  # the body is sanitised like an article's
        super().save_model(request, obj, form, change)
