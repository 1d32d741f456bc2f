"""Signed, expiring preview tokens: an editor hands `/api/v1/articles/<slug>/?preview=<token>` to a colleague or a
frontend preview build, and whoever holds the token reads the draft (full body, never metered, never cached).

The token signs the article id, its slug and a timestamp (Django's TimestampSigner with a salt of its own); it
expires after `ARTICLE_PREVIEW_TOKEN_MAX_AGE` seconds. A token for one slug opens no other article.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing

_SALT = "masthead.articles.preview"


def preview_token_create(*, article) -> str:
    return signing.dumps({"id": article.pk, "slug": article.slug}, salt=_SALT, compress=False)


def preview_token_verify(*, token: str, slug: str) -> int | None:
    """The article id inside a valid, unexpired token issued for `slug`; None otherwise (never raises)."""
    if not token or not isinstance(token, str) or len(token) > 500:
        return None
    try:
        value = signing.loads(token, salt=_SALT, max_age=settings.ARTICLE_PREVIEW_TOKEN_MAX_AGE)
    except (signing.BadSignature, ValueError, UnicodeError):
        return None
    if not isinstance(value, dict) or value.get("slug") != slug or not isinstance(value.get("id"), int):
        return None
    return value["id"]
