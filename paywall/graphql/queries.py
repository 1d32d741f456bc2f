import graphene


class PaywallQueries(graphene.ObjectType):
    pass
