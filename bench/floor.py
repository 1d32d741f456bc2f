"""The floor: the least a Django view can do to serve an article. One query (one row by slug), `JsonResponse`, no
middleware work beyond the stack's own. Every benchmark figure is also given as a ratio to this, in the same run."""

from django.http import Http404, JsonResponse

from articles.models import Article

FIELDS = ("id", "slug", "title", "dek", "body", "published_at", "access_level")


def floor_article(request, slug: str):
    row = Article.objects.filter(slug=slug).values(*FIELDS).first()
    if row is None:
        raise Http404
    return JsonResponse(row)
