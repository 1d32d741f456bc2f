"""Types shared by every app's GraphQL package."""

from __future__ import annotations

import graphene


class ErrorType(graphene.ObjectType):
    """One problem with a mutation's input or with the rule it hit: the same triple as REST's `errors` items."""

    field = graphene.String(description="The input at fault (camelCase), or null for the mutation as a whole.")
    code = graphene.String(required=True, description="Machine-readable, e.g. 'invalid', 'not_found'.")
    message = graphene.String(required=True, description="Human-readable, safe to show to the reader.")

    class Meta:
        name = "Error"


def value_type(type_name: str, /, **fields: graphene.Field) -> type[graphene.ObjectType]:
    """A GraphQL object type that only carries values (each field read from the dict key or attribute of its name,
    no resolvers), declared in one call: `value_type("ArticleSeo", title=graphene.String(required=True), ...)`.
    `type_name` is the schema's name; it is positional-only so that a field may be called `name`."""
    meta = type("Meta", (), {"name": type_name})
    return type(f"{type_name}Type", (graphene.ObjectType,), {"Meta": meta, **fields})
