"""Absolute public URLs. Built from PUBLIC_BASE_URL (not the request host) so cached public pages, feeds and
sitemaps are identical whichever host or proxy served them."""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    if not path:
        return ""
    if path.startswith(("http://", "https://")):
        return path
    return settings.PUBLIC_BASE_URL.rstrip("/") + "/" + path.lstrip("/")


def article_url(article) -> str:
    return absolute_url(article.get_absolute_url())
