from django.urls import path

from . import views

urlpatterns = [
    path("articles/<slug:slug>/comments/", views.ArticleCommentsApi.as_view(), name="article-comments"),
    path("comments/<int:comment_id>/", views.CommentDetailApi.as_view(), name="comment-detail"),
    path("comments/<int:comment_id>/flag/", views.CommentFlagApi.as_view(), name="comment-flag"),
]
