"""GraphQL types of the content delivery API. Field names are graphene's camelCase of the REST names and mean the
same thing; values come from the same selectors, the same JSON-LD builder and the paywall's one decision.

Paywall rules for `body` / `bodyIsPreview` / `access` / `paywall` / `jsonLd`:
- on the top-level `article(slug)` the resolver asked `access_decide(record=True)` once (a counted metered read)
  when the query selects body, bodyIsPreview, access or paywall; that decision is on the instance;
- everywhere else (lists, `related`, `latestArticles`, or a top-level article that did not ask for those) the
  decision comes from `access_decide_many` (never counts), batched per request by
  AccessDecisionByArticleIdLoader: the full text only when granted without counting, the preview otherwise.
"""

from __future__ import annotations

import graphene
from graphene.types.generic import GenericScalar
from graphene_django import DjangoObjectType

from articles import presenters
from articles.models import Article, Author, Image, Section, Tag
from cms.core.links import article_url, site_base
from cms.graphql.context import request_reader, request_store
from cms.graphql.errors import Code, graphql_error
from cms.graphql.limits import first_check
from cms.graphql.types import value_type
from comments.graphql.types import comments_field, resolve_article_comments
from paywall.services import (
    AccessDecision,
    Reason,
    article_body_for,
    gift_offer_payload,
    gift_payload,
    paywall_payload,
)

from .dataloaders import (
    AccessDecisionByArticleIdLoader,
    AuthorsByArticleIdLoader,
    ImageByIdLoader,
    LatestArticlesByAuthorIdLoader,
    RelatedArticlesByArticleIdLoader,
    SectionByIdLoader,
    TagsByArticleIdLoader,
)

RELATED_MAX = 20  # the REST related endpoint's `limit` maximum


def request_base(info) -> str:
    """The start of this request's absolute URLs (cms.core.links.site_base), worked out once per request: a list
    asks for it in every url, image and avatar it resolves."""
    request = info.context
    base = getattr(request, "_mh_site_base", None)
    if base is None:
        base = request._mh_site_base = site_base(request)
    return base


class SectionType(DjangoObjectType):
    class Meta:
        model = Section
        name = "Section"
        fields = ("slug", "name", "description")


class TagType(DjangoObjectType):
    class Meta:
        model = Tag
        name = "Tag"
        fields = ("slug", "name")


AuthorLinkType = value_type("AuthorLink", label=graphene.String(), url=graphene.String())


class AuthorType(DjangoObjectType):
    avatar = graphene.String(description="Absolute URL of the portrait, or null.")
    links = graphene.List(graphene.NonNull(AuthorLinkType), required=True)
    latest_articles = graphene.List(
        graphene.NonNull(lambda: ArticleType),
        required=True,
        first=graphene.Int(default_value=10, description="1 to 100, default 10."),
        description="Their latest published articles, newest first.",
    )

    class Meta:
        model = Author
        name = "Author"
        fields = ("slug", "name", "bio")

    @staticmethod
    def resolve_avatar(root: Author, info):
        return presenters.author_avatar(root, base=request_base(info))

    @staticmethod
    def resolve_links(root: Author, info):
        return presenters.author_links(root)

    @staticmethod
    def resolve_latest_articles(root: Author, info, first: int = 10):
        return LatestArticlesByAuthorIdLoader(info.context).load_for(root, limit=first_check(first))


RenditionType = value_type(
    "ImageRendition", width=graphene.Int(), height=graphene.Int(), format=graphene.String(), url=graphene.String()
)


class ImageType(DjangoObjectType):
    url = graphene.String(required=True)
    renditions = graphene.List(graphene.NonNull(RenditionType), required=True)

    class Meta:
        model = Image
        name = "Image"
        fields = ("width", "height", "alt", "caption", "credit")

    @staticmethod
    def resolve_url(root: Image, info):
        return presenters.image_url(root, base=request_base(info))

    @staticmethod
    def resolve_renditions(root: Image, info):
        return presenters.image_renditions(root, base=request_base(info))


# --- the shapes of ArticleType's value fields (REST: articles/api/serializers.py) --------------------------------

SourceType = value_type("ArticleSource", name=graphene.String(required=True), url=graphene.String(required=True))
SeoType = value_type("ArticleSeo", title=graphene.String(required=True), description=graphene.String(required=True))
AccessPolicyType = value_type(
    "ArticleAccessPolicy",
    experiment=graphene.String(required=True, description="The running experiment's slug."),
    arm=graphene.String(required=True, description="The name of the arm whose policy decided."),
)
AccessType = value_type(
    "ArticleAccess",
    granted=graphene.Boolean(required=True),
    reason=graphene.String(
        required=True,
        description="free, staff, author, gift, subscriber, trial, already_read, metered, premium, meter_exhausted.",
    ),
    reads_left=graphene.Int(),
    limit=graphene.Int(),
    resets_at=graphene.DateTime(),
    reader_kind=graphene.String(required=True),
    policy=graphene.Field(
        AccessPolicyType, description="The experiment arm whose meter policy decided; null: the default policy."
    ),
)
PlanType = value_type(
    "PaywallPlan",
    code=graphene.String(required=True),
    name=graphene.String(required=True),
    amount=graphene.Int(required=True, description="Minor units (cents)."),
    currency=graphene.String(required=True),
    interval=graphene.String(required=True),
    display=graphene.String(required=True, description='e.g. "$0.50/week".'),
)
TrialType = value_type("PaywallTrial", days=graphene.Int(required=True), available=graphene.Boolean(required=True))


def _offer_fields() -> dict:
    """What the paywall and a gift's offer share: a message, the plans and the trial, where to sign in or subscribe."""
    return {
        "message": graphene.String(required=True),
        "plans": graphene.List(graphene.NonNull(PlanType), required=True),
        "trial": graphene.Field(TrialType, required=True),
        "login_url": graphene.String(required=True),
        "subscribe_url": graphene.String(required=True),
    }


PaywallType = value_type(
    "Paywall",
    code=graphene.String(required=True, description="meter_exhausted, registration_required or premium."),
    **_offer_fields(),
)
OfferType = value_type("Offer", **_offer_fields())
GiftStatusType = value_type(
    "GiftStatus",
    status=graphene.String(required=True, description="expired, exhausted, revoked or invalid."),
    message=graphene.String(required=True),
)


def foreign_key_load(root, field: str, loader_class, info):
    """The object a foreign key points at: None when empty, the one the selector already fetched
    (`select_related`), else the per-request loader's (one query for the whole list)."""
    target_id = getattr(root, f"{field}_id")
    if target_id is None:
        return None
    if getattr(type(root), field).is_cached(root):
        return getattr(root, field)
    return loader_class(info.context).load(target_id)


def article_decision(article: Article, info) -> AccessDecision:
    """The decision for this article in this request (see the module docstring)."""
    decision = getattr(article, "_mh_decision", None)
    if decision is not None:
        return decision
    return AccessDecisionByArticleIdLoader(info.context).load_article(article)


class ArticleType(DjangoObjectType):
    id = graphene.Int(required=True)
    section = graphene.Field(SectionType)
    tags = graphene.List(graphene.NonNull(TagType), required=True)
    authors = graphene.List(graphene.NonNull(AuthorType), required=True, description="The byline, in order.")
    hero_image = graphene.Field(ImageType)
    access_level = graphene.String(required=True, description="free, metered or premium.")
    url = graphene.String(required=True)
    body = graphene.String(
        required=True,
        description="HTML. The full text when access is granted, else cut at the preview boundary. Only the "
        "top-level article(slug) counts a metered read.",
    )
    body_is_preview = graphene.Boolean(required=True)
    source = graphene.Field(SourceType, required=True)
    seo = graphene.Field(SeoType, required=True)
    json_ld = GenericScalar(required=True, description="schema.org NewsArticle (same as REST json_ld).")
    access = graphene.Field(AccessType, required=True)
    paywall = graphene.Field(
        PaywallType,
        description="What to show instead of the rest: null when granted, or (in lists) when opening the article "
        "with article(slug) would grant it.",
    )
    gift = graphene.Field(
        GiftStatusType,
        description="With article(slug, gift): why the gift link did not open the article; null when it did.",
    )
    offer = graphene.Field(
        OfferType, description="For a gift's recipient (`access.reason: gift`): the invitation to subscribe."
    )
    related = graphene.List(
        graphene.NonNull(lambda: ArticleType),
        required=True,
        first=graphene.Int(default_value=5, description=f"1 to {RELATED_MAX}, default 5."),
        description='"More from ...": hand-picked first, then the newest sharing the section or a tag.',
    )
    snippet = graphene.String(
        description="In `articles(search: ...)` results: matching text with <mark>ed terms (from the preview only "
        "for non-free articles); null elsewhere."
    )
    comments = comments_field()  # the comments app's field: comments/graphql/types.py
    resolve_comments = staticmethod(resolve_article_comments)

    class Meta:
        model = Article
        name = "Article"
        fields = ("slug", "title", "dek", "published_at", "updated_at", "comment_count")

    # --- relations (prefetched by the selectors; loaders otherwise) ----------------------------------------------

    @staticmethod
    def resolve_id(root: Article, info):
        return root.pk

    @staticmethod
    def resolve_section(root: Article, info):
        return foreign_key_load(root, "section", SectionByIdLoader, info)

    @staticmethod
    def resolve_hero_image(root: Article, info):
        return foreign_key_load(root, "hero_image", ImageByIdLoader, info)

    @staticmethod
    def resolve_tags(root: Article, info):
        tags = getattr(root, "ordered_tags", None)
        if tags is not None:
            return tags
        return TagsByArticleIdLoader(info.context).load(root.pk)

    @staticmethod
    def resolve_authors(root: Article, info):
        links = getattr(root, "ordered_article_authors", None)
        if links is not None:
            return [link.author for link in links]
        return AuthorsByArticleIdLoader(info.context).load(root.pk)

    @staticmethod
    def resolve_related(root: Article, info, first: int | None = 5):
        first = 5 if first is None else first  # an explicit `first: null` asks for the default
        if first < 1 or first > RELATED_MAX:
            raise graphql_error(
                f"Argument 'first' must be between 1 and {RELATED_MAX}, got {first}.",
                code=Code.FIRST_OUT_OF_RANGE,
                field="first",
            )
        return RelatedArticlesByArticleIdLoader(info.context).load_for(root, limit=first)

    # --- plain fields -----------------------------------------------------------------------------------------

    @staticmethod
    def resolve_access_level(root: Article, info):
        return root.access_level

    @staticmethod
    def resolve_url(root: Article, info):
        return article_url(root, base=request_base(info))

    @staticmethod
    def resolve_snippet(root: Article, info):
        return request_store(info, "article_search_snippets").get(root.pk)

    @staticmethod
    def resolve_source(root: Article, info):
        return presenters.article_source(root)

    @staticmethod
    def resolve_seo(root: Article, info):
        return presenters.article_seo(root)

    # --- reader-dependent: the paywall's decision ---------------------------------------------------------------

    @staticmethod
    def resolve_body(root: Article, info):
        body, _ = article_body_for(article=root, decision=article_decision(root, info))
        return body

    @staticmethod
    def resolve_body_is_preview(root: Article, info):
        _, is_preview = article_body_for(article=root, decision=article_decision(root, info))
        return is_preview

    @staticmethod
    def resolve_access(root: Article, info):
        return article_decision(root, info).as_access()

    @staticmethod
    def resolve_paywall(root: Article, info):
        decision = article_decision(root, info)
        if decision.granted or decision.would_count:
            # would_count: a metered article seen in a list with allowance left; opening it grants it, no paywall.
            return None
        # the payload depends only on its code and the reader's window: build it once per request, not per article
        payloads = request_store(info, "article_paywall_payloads")
        key = decision.paywall_code
        if key not in payloads:
            payloads[key] = paywall_payload(decision=decision, reader=request_reader(info))
        return payloads[key]

    @staticmethod
    def resolve_gift(root: Article, info):
        return gift_payload(article_decision(root, info))

    @staticmethod
    def resolve_offer(root: Article, info):
        decision = article_decision(root, info)
        if decision.reason != Reason.GIFT:  # the reader is read only when it matters (lists stay cacheable)
            return None
        return gift_offer_payload(decision=decision, reader=request_reader(info))

    @staticmethod
    def resolve_json_ld(root: Article, info):
        granted = article_decision(root, info).granted
        return presenters.article_json_ld(article=root, base=request_base(info), granted=granted)


class ArticleConnection(graphene.relay.Connection):
    class Meta:
        node = ArticleType
        name = "ArticleConnection"


__all__ = [
    "ArticleConnection",
    "ArticleType",
    "AuthorType",
    "ImageType",
    "SectionType",
    "TagType",
    "article_decision",
    "request_base",
]


# A search-as-you-type suggestion (REST `GET /api/v1/search/suggest/`; articles.presenters.search_suggestion).
SearchSuggestionType = value_type(
    "SearchSuggestion",
    type=graphene.String(required=True, description="article, tag, author or section."),
    text=graphene.String(required=True, description="The name or title to show."),
    slug=graphene.String(required=True),
    url=graphene.String(required=True, description="The API read of what it names."),
)
