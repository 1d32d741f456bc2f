import graphene


class ArticlesMutations(graphene.ObjectType):
    """The articles app has no public mutations (editors work in the admin); comment mutations are the comments
    app's (`comments/graphql/mutations.py`)."""
