import graphene

from .comments import CommentsMutations


class ArticlesMutations(CommentsMutations, graphene.ObjectType):
    pass
