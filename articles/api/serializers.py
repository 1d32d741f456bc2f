"""Input and output shapes of the content delivery API. No logic: the views pass in what services decided."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from articles import presenters

# --- input -----------------------------------------------------------------------------------------------------------

_DATE_FORMATS = ["iso-8601", "%Y-%m-%d"]


class ArticleListInputSerializer(serializers.Serializer):
    section = serializers.SlugField(required=False, max_length=100, help_text="Section slug.")
    tag = serializers.SlugField(required=False, max_length=100, help_text="Tag slug.")
    author = serializers.SlugField(required=False, max_length=120, help_text="Author slug.")
    search = serializers.CharField(
        required=False,
        max_length=200,
        help_text='Full-text search (websearch syntax: "quoted phrase", OR, -word).',
    )
    order = serializers.ChoiceField(
        choices=["relevance", "newest"],
        required=False,
        help_text="With `search`: `relevance` (the default; with a recency component) or `newest`.",
    )
    published_after = serializers.DateTimeField(required=False, input_formats=_DATE_FORMATS)
    published_before = serializers.DateTimeField(required=False, input_formats=_DATE_FORMATS)
    cursor = serializers.CharField(required=False, max_length=1000, help_text="Opaque cursor from next/previous.")
    page_size = serializers.IntegerField(
        required=False, min_value=1, default=20, help_text="1 or more; values above 100 are clamped to 100."
    )


class ArticleDetailInputSerializer(serializers.Serializer):
    preview = serializers.CharField(required=False, max_length=500, help_text="Preview token from the admin.")
    gift = serializers.CharField(
        required=False, max_length=200, help_text="A gift link's token (POST /api/v1/articles/{slug}/gifts/)."
    )
    # Attribution for the revenue desk's funnel (read by paywall.readers.touch_from_request): what brought the
    # reader to this article, as the frontend knows it. `referrer` may also come as the X-Client-Referrer header.
    utm_source, utm_medium, utm_campaign = (
        serializers.CharField(required=False, max_length=100, help_text=f"Campaign {what} (funnel).")
        for what in ("source", "medium", "name")
    )
    referrer = serializers.CharField(
        required=False,
        max_length=2000,
        help_text="The page the reader came from (a URL or a host; only the host is kept). Or the "
        "X-Client-Referrer header.",
    )


class SearchSuggestInputSerializer(serializers.Serializer):
    q = serializers.CharField(max_length=100, help_text="What the reader has typed so far (1 to 100 characters).")


class RelatedInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=20, default=5)


# --- output ----------------------------------------------------------------------------------------------------------
# The fields below document the OpenAPI schema; the data comes from articles.presenters (one function per shape,
# shared with GraphQL and the feeds); a small shape nested in one place only is declared there (inline_serializer).
# `base` in the context: the start of absolute URLs (cms.core.links.site_base).
# tests/articles/api/test_schema_matches_responses.py pins that what is sent is what is declared.


class RefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()

    def to_representation(self, obj) -> dict:
        return presenters.ref(obj)


class SectionRefSerializer(RefSerializer):
    pass


class TagRefSerializer(RefSerializer):
    pass


class AuthorRefSerializer(RefSerializer):
    pass


class RenditionSerializer(serializers.Serializer):
    width = serializers.IntegerField(required=False)
    height = serializers.IntegerField(required=False)
    format = serializers.CharField(required=False)
    url = serializers.CharField(required=False)


class ImageOutputSerializer(serializers.Serializer):
    url = serializers.CharField(read_only=True)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    alt = serializers.CharField()
    caption = serializers.CharField()
    credit = serializers.CharField()
    renditions = RenditionSerializer(many=True, read_only=True)


class ArticleListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    dek = serializers.CharField()
    section = SectionRefSerializer(allow_null=True)
    tags = TagRefSerializer(many=True)
    authors = AuthorRefSerializer(many=True, read_only=True)
    published_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    hero_image = ImageOutputSerializer(allow_null=True)
    access_level = serializers.ChoiceField(choices=["free", "metered", "premium"])
    comment_count = serializers.IntegerField()
    url = serializers.CharField(read_only=True)
    snippet = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="With `search`: matching text with <mark>ed terms, from the preview only for non-free articles.",
    )

    def to_representation(self, article) -> dict:
        snippets = self.context.get("snippets")
        snippet = snippets.get(article.pk) if snippets else None
        return presenters.article_list_item(article, base=self.context["base"], snippet=snippet)


class ArticleListOutputSerializer(serializers.Serializer):
    results = ArticleListItemSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class ArticleResultsOutputSerializer(serializers.Serializer):
    results = ArticleListItemSerializer(many=True)


class AccessSerializer(serializers.Serializer):
    granted = serializers.BooleanField()
    reason = serializers.CharField(
        help_text="free, staff, author, gift, subscriber, trial, already_read, metered, premium, meter_exhausted "
        "(or preview for a preview-token request)."
    )
    reads_left = serializers.IntegerField(allow_null=True)
    limit = serializers.IntegerField(allow_null=True)
    resets_at = serializers.DateTimeField(allow_null=True)
    reader_kind = serializers.CharField()
    policy = inline_serializer(
        "AccessPolicy",
        {
            "experiment": serializers.CharField(help_text="The running experiment's slug."),
            "arm": serializers.CharField(help_text="The name of the arm whose policy decided."),
        },
        allow_null=True,
        help_text="The experiment arm whose meter policy decided; null: the default policy.",
    )


class GiftStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["expired", "exhausted", "revoked", "invalid"])
    message = serializers.CharField()


class OfferSerializer(serializers.Serializer):
    message = serializers.CharField()
    plans = inline_serializer(
        "Plan",
        {
            "code": serializers.CharField(),
            "name": serializers.CharField(),
            "amount": serializers.JSONField(),
            "currency": serializers.CharField(),
            "interval": serializers.CharField(),
            "display": serializers.CharField(),
        },
        many=True,
    )
    trial = inline_serializer("Trial", {"days": serializers.IntegerField(), "available": serializers.BooleanField()})
    login_url = serializers.CharField()
    subscribe_url = serializers.CharField()


class PaywallSerializer(OfferSerializer):
    """The offer, with what the paywall asks of the reader."""

    code = serializers.ChoiceField(choices=["meter_exhausted", "premium", "registration_required"])


class ArticleDetailOutputSerializer(ArticleListItemSerializer):
    """The list item plus what the paywall decided for this reader (`body`, `access`, `paywall`, `json_ld`)."""

    body = serializers.CharField(read_only=True)
    body_is_preview = serializers.BooleanField(read_only=True)
    source = inline_serializer(
        "Source", {"name": serializers.CharField(), "url": serializers.CharField()}, read_only=True
    )
    seo = inline_serializer(
        "Seo", {"title": serializers.CharField(), "description": serializers.CharField()}, read_only=True
    )
    json_ld = serializers.DictField(read_only=True)
    access = AccessSerializer(read_only=True)
    paywall = PaywallSerializer(allow_null=True, read_only=True)
    gift = GiftStatusSerializer(
        allow_null=True,
        read_only=True,
        help_text="With `?gift=`: why the gift link did not open the article; null when it did, or without one.",
    )
    offer = OfferSerializer(
        allow_null=True,
        read_only=True,
        help_text="For a gift's recipient (`access.reason: gift`): the invitation to subscribe; null otherwise.",
    )


class SectionOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()

    def to_representation(self, section) -> dict:
        return presenters.section_present(section)


class SectionListOutputSerializer(serializers.Serializer):
    results = SectionOutputSerializer(many=True)


class TagListOutputSerializer(serializers.Serializer):
    results = TagRefSerializer(many=True)


class AuthorLinkSerializer(serializers.Serializer):
    label = serializers.CharField(allow_null=True)
    url = serializers.CharField(allow_null=True)


class AuthorOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    bio = serializers.CharField()
    avatar = serializers.CharField(read_only=True, allow_null=True)
    links = AuthorLinkSerializer(many=True)

    def to_representation(self, author) -> dict:
        return presenters.author_present(author, base=self.context["base"])


class AuthorListOutputSerializer(serializers.Serializer):
    results = AuthorOutputSerializer(many=True)


class AuthorDetailOutputSerializer(AuthorOutputSerializer):
    latest_articles = ArticleListItemSerializer(many=True, read_only=True)

    def to_representation(self, author) -> dict:
        base = self.context["base"]
        data = presenters.author_present(author, base=base)
        data["latest_articles"] = [presenters.article_list_item(a, base=base) for a in self.context["latest_articles"]]
        return data


class SearchSuggestionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["article", "tag", "author", "section"])
    text = serializers.CharField()
    slug = serializers.CharField()
    url = serializers.CharField()

    def to_representation(self, suggestion) -> dict:
        return presenters.search_suggestion(suggestion, base=self.context["base"])


class SearchSuggestOutputSerializer(serializers.Serializer):
    results = SearchSuggestionSerializer(many=True)
