from django.urls import path

from . import comments

urlpatterns = [
    path("articles/<slug:slug>/comments/", comments.ArticleCommentsApi.as_view(), name="article-comments"),
    path("comments/<int:comment_id>/", comments.CommentDetailApi.as_view(), name="comment-detail"),
    path("comments/<int:comment_id>/flag/", comments.CommentFlagApi.as_view(), name="comment-flag"),
]
