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
