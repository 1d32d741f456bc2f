"""Absolute URLs in answers (REST, GraphQL, feeds, sitemaps, JSON-LD), all from ONE base (`site_base`):

- `SITE_URL` when it is set (e.g. `https://api.example.com`): every answer, cache entry and task uses it;
- empty (the default): the scheme and host of the request being answered, so a server started on another address
  (`make run PORT=8011`) links to itself;
- outside a request (tasks, webhooks): `SITE_URL`, else `PUBLIC_BASE_URL`.

Cached shapes that embed absolute URLs are keyed by this base (the public page cache by the request's host, the
article detail snapshot by the base itself, see articles/caching.py), so one host never sees another's URLs.
"""

from __future__ import annotations

from django.conf import settings


def site_base(request=None) -> str:
    """`scheme://host` that absolute URLs start with (no trailing slash)."""
    configured = settings.SITE_URL
    if configured:
        return configured.rstrip("/")
    if request is not None:
        return f"{request.scheme}://{request.get_host()}"
    return settings.PUBLIC_BASE_URL.rstrip("/")


def absolute_url(path: str, *, base: str) -> str:
    """`path` (a storage URL or a route) made absolute on `base`; already absolute URLs and "" stay as they are."""
    if not path:
        return ""
    if path.startswith(("http://", "https://")):
        return path
    return base + "/" + path.lstrip("/")


def article_url(article, *, base: str) -> str:
    return absolute_url(article.get_absolute_url(), base=base)
