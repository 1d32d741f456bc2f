"""Input and output shapes of the content delivery API. No logic: the views pass in what services decided."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from articles.selectors import article_authors
from cms.api.links import absolute_url, article_url

# --- input -----------------------------------------------------------------------------------------------------------

_DATE_FORMATS = ["iso-8601", "%Y-%m-%d"]


class ArticleListInputSerializer(serializers.Serializer):
    section = serializers.SlugField(required=False, max_length=100, help_text="Section slug.")
    tag = serializers.SlugField(required=False, max_length=100, help_text="Tag slug.")
    author = serializers.SlugField(required=False, max_length=120, help_text="Author slug.")
    search = serializers.CharField(required=False, max_length=200, help_text="Full-text search, ranked.")
    published_after = serializers.DateTimeField(required=False, input_formats=_DATE_FORMATS)
    published_before = serializers.DateTimeField(required=False, input_formats=_DATE_FORMATS)
    cursor = serializers.CharField(required=False, max_length=1000, help_text="Opaque cursor from next/previous.")
    page_size = serializers.IntegerField(
        required=False, min_value=1, default=20, help_text="1 or more; values above 100 are clamped to 100."
    )


class ArticleDetailInputSerializer(serializers.Serializer):
    preview = serializers.CharField(required=False, max_length=500, help_text="Preview token from the admin.")


class RelatedInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=20, default=5)


# --- output ----------------------------------------------------------------------------------------------------------


class SectionRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class TagRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class AuthorRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class RenditionSerializer(serializers.Serializer):
    width = serializers.IntegerField(required=False)
    height = serializers.IntegerField(required=False)
    format = serializers.CharField(required=False)
    url = serializers.CharField(required=False)


class ImageOutputSerializer(serializers.Serializer):
    url = serializers.SerializerMethodField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    alt = serializers.CharField()
    caption = serializers.CharField()
    credit = serializers.CharField()
    renditions = serializers.SerializerMethodField()

    def get_url(self, image) -> str:
        return image_representation(image)["url"]

    @extend_schema_field(RenditionSerializer(many=True))
    def get_renditions(self, image) -> list:
        return image_representation(image)["renditions"]

    def to_representation(self, image) -> dict:
        return image_representation(image)


class ArticleListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    dek = serializers.CharField()
    section = SectionRefSerializer(allow_null=True)
    tags = TagRefSerializer(many=True, source="tags.all")
    authors = serializers.SerializerMethodField()
    published_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    hero_image = ImageOutputSerializer(allow_null=True)
    access_level = serializers.ChoiceField(choices=["free", "metered", "premium"])
    comment_count = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    snippet = serializers.SerializerMethodField(
        help_text="With `search`: matching text with <mark>ed terms, from the preview only for non-free articles."
    )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_snippet(self, article) -> str | None:
        snippets = self.context.get("snippets")
        return snippets.get(article.pk) if snippets else None

    @extend_schema_field(AuthorRefSerializer(many=True))
    def get_authors(self, article) -> list:
        return [{"slug": a.slug, "name": a.name} for a in article_authors(article)]

    def get_url(self, article) -> str:
        return article_url(article)

    def to_representation(self, article) -> dict:
        """Plain-Python rendering of the fields declared above (which document the OpenAPI schema): DRF's generic
        nested-field machinery cost most of an uncached list's CPU. The schemathesis conformance test and the
        REST/GraphQL parity tests pin that this output matches the declared shape."""
        section = article.section
        return {
            "id": article.pk,
            "slug": article.slug,
            "title": article.title,
            "dek": article.dek,
            "section": {"slug": section.slug, "name": section.name} if section is not None else None,
            "tags": [{"slug": t.slug, "name": t.name} for t in article.tags.all()],
            "authors": self.get_authors(article),
            "published_at": datetime_representation(article.published_at),
            "updated_at": datetime_representation(article.updated_at),
            "hero_image": image_representation(article.hero_image),
            "access_level": article.access_level,
            "comment_count": article.comment_count,
            "url": article_url(article),
            "snippet": self.get_snippet(article),
        }


_DATETIME_FIELD = serializers.DateTimeField()


def datetime_representation(value):
    """A datetime as DRF's DateTimeField renders it (None stays None), for the plain-Python renderings."""
    return _DATETIME_FIELD.to_representation(value) if value is not None else None


def image_representation(image) -> dict | None:
    """What ImageOutputSerializer renders, without the serializer machinery."""
    if image is None:
        return None
    return {
        "url": absolute_url(image.file.url) if image.file else "",
        "width": image.width,
        "height": image.height,
        "alt": image.alt,
        "caption": image.caption,
        "credit": image.credit,
        "renditions": [
            {**r, "url": absolute_url(r["url"])} if isinstance(r, dict) and r.get("url") else r
            for r in image.renditions or []
        ],
    }


class ArticleListOutputSerializer(serializers.Serializer):
    results = ArticleListItemSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class ArticleResultsOutputSerializer(serializers.Serializer):
    results = ArticleListItemSerializer(many=True)


class SourceSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.CharField()


class SeoSerializer(serializers.Serializer):
    title = serializers.CharField()
    description = serializers.CharField()


class AccessSerializer(serializers.Serializer):
    granted = serializers.BooleanField()
    reason = serializers.CharField(
        help_text="free, staff, author, subscriber, trial, already_read, metered, premium, meter_exhausted "
        "(or preview for a preview-token request)."
    )
    reads_left = serializers.IntegerField(allow_null=True)
    limit = serializers.IntegerField(allow_null=True)
    resets_at = serializers.DateTimeField(allow_null=True)
    reader_kind = serializers.CharField()


class PlanSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    amount = serializers.JSONField()
    currency = serializers.CharField()
    interval = serializers.CharField()
    display = serializers.CharField()


class TrialSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    available = serializers.BooleanField()


class PaywallSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["meter_exhausted", "premium"])
    message = serializers.CharField()
    plans = PlanSerializer(many=True)
    trial = TrialSerializer()
    login_url = serializers.CharField()
    subscribe_url = serializers.CharField()


class ArticleDetailOutputSerializer(ArticleListItemSerializer):
    """The list item plus what the view decided (`body`, `access`, `paywall`, `json_ld`) passed in `context`."""

    body = serializers.SerializerMethodField()
    body_is_preview = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField()
    seo = serializers.SerializerMethodField()
    json_ld = serializers.SerializerMethodField()
    access = serializers.SerializerMethodField()
    paywall = serializers.SerializerMethodField()

    def get_body(self, article) -> str:
        return self.context["body"]

    def get_body_is_preview(self, article) -> bool:
        return self.context["body_is_preview"]

    @extend_schema_field(SourceSerializer)
    def get_source(self, article) -> dict:
        return {"name": article.source_name, "url": article.source_url}

    @extend_schema_field(SeoSerializer)
    def get_seo(self, article) -> dict:
        return {
            "title": article.seo_title or article.title,
            "description": article.seo_description or article.dek,
        }

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_json_ld(self, article) -> dict:
        return self.context["json_ld"]

    @extend_schema_field(AccessSerializer)
    def get_access(self, article) -> dict:
        return AccessSerializer(self.context["access"]).data

    @extend_schema_field(PaywallSerializer(allow_null=True))
    def get_paywall(self, article) -> dict | None:
        return self.context["paywall"]

    def to_representation(self, article) -> dict:
        return article_detail_representation(
            article_detail_public_representation(article),
            body=self.get_body(article),
            body_is_preview=self.get_body_is_preview(article),
            json_ld=self.get_json_ld(article),
            access=self.context["access"],
            paywall=self.get_paywall(article),
        )


def article_detail_public_representation(article) -> dict:
    """The part of an article detail that is the same for every reader (cacheable per content generation): the list
    item plus `source` and `seo`. `article_detail_representation` adds the reader's part."""
    data = ArticleListItemSerializer().to_representation(article)
    data["source"] = {"name": article.source_name, "url": article.source_url}
    data["seo"] = {"title": article.seo_title or article.title, "description": article.seo_description or article.dek}
    return data


def article_detail_representation(
    public: dict, *, body: str, body_is_preview: bool, json_ld: dict, access: dict, paywall: dict | None
) -> dict:
    """What ArticleDetailOutputSerializer documents, in its field order, from the public part and the reader's."""
    access = dict(access)
    access["resets_at"] = datetime_representation(access.get("resets_at"))
    data = {key: value for key, value in public.items() if key not in ("source", "seo")}
    data.update(
        body=body,
        body_is_preview=body_is_preview,
        source=public["source"],
        seo=public["seo"],
        json_ld=json_ld,
        access=access,
        paywall=paywall,
    )
    return data


class SectionOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()


class SectionListOutputSerializer(serializers.Serializer):
    results = SectionOutputSerializer(many=True)


class TagListOutputSerializer(serializers.Serializer):
    results = TagRefSerializer(many=True)


class AuthorOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    bio = serializers.CharField()
    avatar = serializers.SerializerMethodField()
    links = serializers.JSONField()

    def get_avatar(self, author) -> str | None:
        return absolute_url(author.avatar.url) if author.avatar else None


class AuthorListOutputSerializer(serializers.Serializer):
    results = AuthorOutputSerializer(many=True)


class AuthorDetailOutputSerializer(AuthorOutputSerializer):
    latest_articles = serializers.SerializerMethodField()

    @extend_schema_field(ArticleListItemSerializer(many=True))
    def get_latest_articles(self, author) -> list:
        return ArticleListItemSerializer(self.context["latest_articles"], many=True).data


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    errors = ErrorItemSerializer(many=True)
