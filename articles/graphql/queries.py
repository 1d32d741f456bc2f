import graphene


class ArticlesQueries(graphene.ObjectType):
    pass
