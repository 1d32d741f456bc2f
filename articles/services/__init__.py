from .articles import (
    article_prepare,
    article_publish,
    article_save,
    article_schedule,
    article_slug_unique,
    article_unpublish,
    articles_publish_due,
    search_vector_refresh,
)
from .html import body_split, html_sanitize, html_to_text

__all__ = [
    "article_prepare",
    "article_publish",
    "article_save",
    "article_schedule",
    "article_slug_unique",
    "article_unpublish",
    "articles_publish_due",
    "body_split",
    "html_sanitize",
    "html_to_text",
    "search_vector_refresh",
]
