"""The root GraphQL schema: each app exports `<App>Queries` / `<App>Mutations`, composed here."""

import graphene

from accounts.graphql.mutations import AccountsMutations
from accounts.graphql.queries import AccountsQueries
from articles.graphql.mutations import ArticlesMutations
from articles.graphql.queries import ArticlesQueries
from comments.graphql.mutations import CommentsMutations
from paywall.graphql.gifts import GiftMutations, GiftQueries
from paywall.graphql.groups import GroupMutations, GroupQueries
from paywall.graphql.mutations import PaywallMutations
from paywall.graphql.queries import PaywallQueries


class Query(ArticlesQueries, AccountsQueries, PaywallQueries, GiftQueries, GroupQueries, graphene.ObjectType):
    ping = graphene.String(description="Always 'pong'; a cheap liveness probe for GraphQL clients.")

    @staticmethod
    def resolve_ping(root, info):
        return "pong"


_mutation_bases = (
    ArticlesMutations,
    CommentsMutations,
    AccountsMutations,
    PaywallMutations,
    GiftMutations,
    GroupMutations,
)
_has_mutations = any(getattr(b, "_meta", None) and b._meta.fields for b in _mutation_bases)

Mutation = type("Mutation", (*_mutation_bases, graphene.ObjectType), {}) if _has_mutations else None

schema = graphene.Schema(query=Query, mutation=Mutation)
