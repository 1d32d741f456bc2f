from django.urls import path

from . import views

urlpatterns = [
    path("articles/", views.ArticleListApi.as_view(), name="article-list"),
    path("articles/<slug:slug>/", views.ArticleDetailApi.as_view(), name="article-detail"),
    path("articles/<slug:slug>/related/", views.ArticleRelatedApi.as_view(), name="article-related"),
    path("sections/", views.SectionListApi.as_view(), name="section-list"),
    path("sections/<slug:slug>/", views.SectionDetailApi.as_view(), name="section-detail"),
    path("tags/", views.TagListApi.as_view(), name="tag-list"),
    path("authors/", views.AuthorListApi.as_view(), name="author-list"),
    path("authors/<slug:slug>/", views.AuthorDetailApi.as_view(), name="author-detail"),
]
