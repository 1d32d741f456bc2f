import graphene

from .types import AccountType


class AccountsQueries(graphene.ObjectType):
    me = graphene.Field(AccountType, description="The signed-in reader (session or Bearer token), or null.")

    @staticmethod
    def resolve_me(root, info):
        user = getattr(info.context, "user", None)
        return user if user is not None and user.is_authenticated else None
