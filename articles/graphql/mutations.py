import graphene


class ArticlesMutations(graphene.ObjectType):
    pass
