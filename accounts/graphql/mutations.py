import graphene


class AccountsMutations(graphene.ObjectType):
    pass
