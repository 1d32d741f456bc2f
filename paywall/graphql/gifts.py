"""Gift links over GraphQL: `createGiftLink(slug)` and `myGiftLinks`, through the same services and presenter as
REST (`paywall.services.gifts`, `paywall.presenters.gift_link_present`). The recipient's side is the `gift`
argument of `article` (articles/graphql/queries.py), decided by the paywall's one ladder."""

from __future__ import annotations

import graphene

from articles import selectors as article_selectors
from cms.core.links import site_base
from cms.graphql.context import request_reader
from cms.graphql.mutations import ServiceMutation, mutation_errors
from cms.graphql.types import ErrorType, value_type
from paywall import services
from paywall.presenters import gift_link_present
from paywall.selectors import gift_link_list_for_giver

GiftArticleType = value_type("GiftArticle", slug=graphene.String(required=True), title=graphene.String(required=True))
GiftLinkType = value_type(
    "GiftLink",
    id=graphene.Int(required=True),
    article=graphene.Field(GiftArticleType, required=True),
    token=graphene.String(required=True, description="Pass it as `article(slug, gift:)` (REST/Ghost: `?gift=`)."),
    url=graphene.String(required=True, description="The article's REST detail URL with `?gift=<token>`."),
    created_at=graphene.DateTime(required=True),
    expires_at=graphene.DateTime(required=True),
    redemptions=graphene.Int(required=True, description="Distinct recipients so far."),
    redemptions_left=graphene.Int(required=True),
    revoked_at=graphene.DateTime(),
    status=graphene.String(required=True, description="active, expired, exhausted or revoked."),
)


class GiftLinkCreate(ServiceMutation):
    """Share an article (subscribers; trials when GIFT_LINKS_FOR_TRIAL). Errors: `gift_not_allowed`,
    `gift_limit_reached` (with `renewsAt` and `retryAfter`), `not_found`, `unauthenticated`."""

    class Arguments:
        slug = graphene.String(required=True)

    gift_link = graphene.Field(GiftLinkType)
    renews_at = graphene.DateTime(description="With `gift_limit_reached`: when the next month's allowance starts.")
    retry_after = graphene.Int(description="With `gift_limit_reached`: seconds until `renewsAt`.")
    login_required = True

    @classmethod
    def perform(cls, root, info, *, slug):
        request_reader(info)  # the answer is the signed-in reader's: never cached
        article = article_selectors.article_get(slug=slug)
        try:
            link = services.gift_link_create(user=info.context.user, article=article)
        except services.GiftLimitReached as exc:
            errors = [ErrorType(**e) for e in mutation_errors(exc)]
            return cls(errors=errors, renews_at=exc.renews_at, retry_after=exc.retry_after)
        return {"gift_link": gift_link_present(link, base=site_base(info.context))}


class GiftLinkRevoke(ServiceMutation):
    """Revoke one of the signed-in reader's gift links (idempotent). Errors: `gift_not_found`."""

    class Arguments:
        id = graphene.Int(required=True)

    gift_link = graphene.Field(GiftLinkType)
    login_required = True

    @classmethod
    def perform(cls, root, info, *, id):
        link = services.gift_link_revoke(link_id=id, user=info.context.user)
        return {"gift_link": gift_link_present(link, base=site_base(info.context))}


class GiftQueries(graphene.ObjectType):
    my_gift_links = graphene.List(
        graphene.NonNull(GiftLinkType),
        description="The signed-in reader's gift links, newest first (the latest 100); null for anonymous readers.",
    )

    @staticmethod
    def resolve_my_gift_links(root, info):
        request_reader(info)
        user = info.context.user
        if not user.is_authenticated:
            return None
        base = site_base(info.context)
        return [gift_link_present(link, base=base) for link in gift_link_list_for_giver(user=user)]


class GiftMutations(graphene.ObjectType):
    create_gift_link = GiftLinkCreate.Field()
    revoke_gift_link = GiftLinkRevoke.Field()
