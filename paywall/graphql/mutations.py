import graphene


class PaywallMutations(graphene.ObjectType):
    pass
