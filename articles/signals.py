"""Decoupled side effects only (cache purge, outgoing webhooks). No business rules here."""

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from cms.api.caching import content_generation_bump

from . import webhooks  # noqa: F401  (connects the article_changed -> outgoing webhooks receiver)
from .api.comment_pages import comment_pages_forget
from .api.snapshots import article_detail_snapshot_forget
from .models import Article, ArticleAuthor, Author, Comment, Image, Section, Tag
from .services.events import article_changed, article_comments_changed

# Cache purge only: public lists, feeds and sitemaps are cached under the content generation; bump it.
article_changed.connect(content_generation_bump, dispatch_uid="articles.purge.article_changed")
for _model in (Article, ArticleAuthor, Author, Image, Section, Tag):
    post_save.connect(content_generation_bump, sender=_model, dispatch_uid=f"articles.purge.save.{_model.__name__}")
    post_delete.connect(content_generation_bump, sender=_model, dispatch_uid=f"articles.purge.del.{_model.__name__}")
for _through in (Article.tags.through, Article.related_articles.through):
    uid = f"articles.purge.m2m.{_through.__name__}"
    m2m_changed.connect(content_generation_bump, sender=_through, dispatch_uid=uid)
# A comment changes one article's comment_count only: forget that article's cached detail snapshot.
article_comments_changed.connect(article_detail_snapshot_forget, dispatch_uid="articles.purge.comments")


# A page of comment threads is cached per article (articles/api/comment_pages.py): any saved or deleted comment,
# and a commenter's new name or deleted account, makes that article's pages stale.
def _comment_pages_forget(sender, instance, **_kwargs) -> None:
    comment_pages_forget(article_id=instance.article_id)


def _commenter_pages_forget(sender, instance, update_fields=None, **_kwargs) -> None:
    if update_fields is not None and not {"display_name", "is_active"} & set(update_fields):
        return  # e.g. the last_login stamp of every sign-in: nothing a comment shows
    for article_id in Comment.objects.filter(author_id=instance.pk).values_list("article_id", flat=True).distinct():
        comment_pages_forget(article_id=article_id)


post_save.connect(_comment_pages_forget, sender=Comment, dispatch_uid="articles.comment_pages.save")
post_delete.connect(_comment_pages_forget, sender=Comment, dispatch_uid="articles.comment_pages.delete")
post_save.connect(_commenter_pages_forget, sender=settings.AUTH_USER_MODEL, dispatch_uid="articles.comment_pages.user")
pre_delete.connect(_commenter_pages_forget, sender=settings.AUTH_USER_MODEL, dispatch_uid="articles.comment_pages.gone")
