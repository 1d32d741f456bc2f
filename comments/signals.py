"""Cache purge only. A page of comment threads is cached per article (`comments/caching.py`): any saved or deleted
comment, and a commenter's new name or deleted account, makes that article's pages stale."""

from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_delete

from .caching import comment_pages_forget
from .models import Comment


def _comment_pages_forget(sender, instance, **_kwargs) -> None:
    comment_pages_forget(article_id=instance.article_id)


def _commenter_pages_forget(sender, instance, update_fields=None, **_kwargs) -> None:
    if update_fields is not None and not {"display_name", "is_active"} & set(update_fields):
        return  # e.g. the last_login stamp of every sign-in: nothing a comment shows
    for article_id in Comment.objects.filter(author_id=instance.pk).values_list("article_id", flat=True).distinct():
        comment_pages_forget(article_id=article_id)


post_save.connect(_comment_pages_forget, sender=Comment, dispatch_uid="comments.pages.save")
post_delete.connect(_comment_pages_forget, sender=Comment, dispatch_uid="comments.pages.delete")
post_save.connect(_commenter_pages_forget, sender=settings.AUTH_USER_MODEL, dispatch_uid="comments.pages.user")
pre_delete.connect(_commenter_pages_forget, sender=settings.AUTH_USER_MODEL, dispatch_uid="comments.pages.gone")
