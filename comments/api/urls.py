from cms.api.routes import api_routes

from . import views

urlpatterns = api_routes(
    ("articles/<slug:slug>/comments/", views.ArticleCommentsApi, "article-comments"),
    ("comments/<int:comment_id>/", views.CommentDetailApi, "comment-detail"),
    ("comments/<int:comment_id>/flag/", views.CommentFlagApi, "comment-flag"),
)
