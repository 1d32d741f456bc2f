import graphene


class AccountsQueries(graphene.ObjectType):
    pass
