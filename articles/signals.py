"""Decoupled side effects only (cache purge). No business rules here. Outgoing webhooks listen to
`article_changed` in `cms/webhooks/signals.py`; comment pages are purged in `comments/signals.py`."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from cms.core.caching import content_generation_bump

from .caching import article_detail_snapshot_forget
from .models import Article, ArticleAuthor, Author, Image, Section, Tag
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
