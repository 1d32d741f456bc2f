from cms.api.routes import api_routes

from . import views

urlpatterns = api_routes(
    ("articles/", views.ArticleListApi, "article-list"),
    ("articles/<slug:slug>/", views.ArticleDetailApi, "article-detail"),
    ("articles/<slug:slug>/related/", views.ArticleRelatedApi, "article-related"),
    ("search/suggest/", views.SearchSuggestApi),
    ("sections/", views.SectionListApi, "section-list"),
    ("sections/<slug:slug>/", views.SectionDetailApi, "section-detail"),
    ("tags/", views.TagListApi, "tag-list"),
    ("authors/", views.AuthorListApi, "author-list"),
    ("authors/<slug:slug>/", views.AuthorDetailApi, "author-detail"),
)
