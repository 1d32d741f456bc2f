"""Output shapes of the paywall's own objects, one function per shape, shared by REST and GraphQL."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from cms.core.links import article_url

from .models import GiftLink
from .services.gifts import gift_link_token


def gift_link_status(link: GiftLink, *, now: datetime) -> str:
    """active, revoked, expired or exhausted."""
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= now:
        return "expired"
    return "exhausted" if link.redemptions >= link.redemptions_max else "active"


def gift_link_present(link: GiftLink, *, base: str, now: datetime | None = None) -> dict:
    """A gift link as its giver sees it: `token` and `url` (the article's detail URL with `?gift=`), its limits and
    use. `link.article` should be loaded (the selectors select it)."""
    token = gift_link_token(link)
    return {
        "id": link.pk,
        "article": {"slug": link.article.slug, "title": link.article.title},
        "token": token,
        "url": f"{article_url(link.article, base=base)}?gift={token}",
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "redemptions": link.redemptions,
        "redemptions_left": max(link.redemptions_max - link.redemptions, 0),
        "revoked_at": link.revoked_at,
        "status": gift_link_status(link, now=now or timezone.now()),
    }
