"""Ghost 5/6 shapes for Masthead's objects: posts, pages, authors, tags (sections and tags), settings, tiers.

The presenters never decide access: a post is shaped from the HTML that the caller's paywall decision allows
(`post_shape_for`, through `paywall.services.article_body_for`), and every derived text (plaintext, excerpt) is
computed from that HTML only, so a paid sentence can only appear where the full body was granted.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from django.conf import settings

from articles.presenters import author_avatar, author_links, image_url
from articles.services.html import html_to_text
from cms.core.links import site_base
from paywall.services import article_body_for

from . import ids

EXCERPT_CHARS = 500
WORDS_PER_MINUTE = 275
VISIBILITY = {"free": "public", "metered": "members", "premium": "paid"}

POST_FIELDS = (
    "id", "uuid", "title", "slug", "html", "plaintext", "comment_id", "feature_image", "feature_image_alt",
    "feature_image_caption", "featured", "visibility", "access", "comments", "created_at", "updated_at",
    "published_at", "custom_excerpt", "excerpt", "reading_time", "url", "canonical_url", "og_image", "og_title",
    "og_description", "twitter_image", "twitter_title", "twitter_description", "meta_title", "meta_description",
    "email_subject", "frontmatter", "codeinjection_head", "codeinjection_foot", "custom_template",
)  # fmt: skip
AUTHOR_FIELDS = (
    "id", "name", "slug", "profile_image", "cover_image", "bio", "website", "location", "facebook", "twitter",
    "meta_title", "meta_description", "url",
)  # fmt: skip
TAG_FIELDS = (
    "id", "name", "slug", "description", "feature_image", "visibility", "og_image", "og_title", "og_description",
    "twitter_image", "twitter_title", "twitter_description", "meta_title", "meta_description", "codeinjection_head",
    "codeinjection_foot", "canonical_url", "accent_color", "url",
)  # fmt: skip
FORMAT_FIELDS = ("html", "plaintext")


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


def frontend_url(path: str) -> str:
    return settings.FRONTEND_URL.rstrip("/") + "/" + path.lstrip("/")


def _image_url(image) -> str | None:
    """Media URLs on the site's configured base (`SITE_URL`, else `PUBLIC_BASE_URL`): the answers are cached and
    shared across hosts, so they never take the request's host."""
    if image is None:
        return None
    return image_url(image, base=site_base()) or None


def reading_time(html: str) -> int:
    words = len(html_to_text(html).split())
    return 0 if words == 0 else max(1, math.ceil(words / WORDS_PER_MINUTE))


def excerpt_from(*, custom: str | None, text: str) -> str:
    return (custom or text)[:EXCERPT_CHARS]


def post_url(article) -> str:
    published = article.published_at or article.created_at
    path = settings.GHOST_POST_URL_PATTERN.format(
        slug=article.slug,
        id=article.pk,
        section=article.section.slug if article.section_id else "news",
        year=f"{published:%Y}",
        month=f"{published:%m}",
        day=f"{published:%d}",
    )
    return frontend_url(path)


def fields_select(data: dict, fields: tuple[str, ...], known: tuple[str, ...]) -> dict:
    """Ghost's `fields`: the requested subset of the known fields (unknown names ignored; none known: all)."""
    wanted = [f for f in fields if f in known]
    if not wanted:
        return data
    keep = set(wanted) | {"authors", "primary_author", "tags", "primary_tag", "count"}
    return {k: v for k, v in data.items() if k in keep}


def _formats(data: dict, *, html: str, formats: tuple[str, ...]) -> None:
    if "html" in formats:
        data["html"] = html
    if "plaintext" in formats:
        data["plaintext"] = html_to_text(html)


def author_shape(author, *, with_count: bool = False) -> dict:
    urls = [link["url"] for link in author_links(author) if isinstance(link.get("url"), str) and link["url"]]

    def social(host: str) -> str | None:
        return next((u for u in urls if host in u), None)

    data = {
        "id": ids.ghost_id(ids.AUTHOR, author.pk),
        "name": author.name,
        "slug": author.slug,
        "profile_image": author_avatar(author, base=site_base()),
        "cover_image": None,
        "bio": author.bio or None,
        "website": next((u for u in urls if "twitter.com" not in u and "facebook.com" not in u), None),
        "location": None,
        "facebook": social("facebook.com"),
        "twitter": social("twitter.com") or social("x.com"),
        "meta_title": None,
        "meta_description": None,
        "url": frontend_url(f"/author/{author.slug}/"),
    }
    if with_count:
        data["count"] = {"posts": getattr(author, "posts_count", 0)}
    return data


def tag_shape(obj, *, is_section: bool, with_count: bool = False) -> dict:
    """A section or a tag as a Ghost tag: distinct id spaces (ids.SECTION / ids.TAG), slugs as they are."""
    data = dict.fromkeys(TAG_FIELDS)
    data.update(
        id=ids.ghost_id(ids.SECTION if is_section else ids.TAG, obj.pk),
        name=obj.name,
        slug=obj.slug,
        description=(getattr(obj, "description", "") or None),
        visibility="public",
        url=frontend_url(f"/tag/{obj.slug}/"),
    )
    if with_count:
        data["count"] = {"posts": getattr(obj, "posts_count", 0)}
    return data


def post_tags(article) -> list[dict]:
    tags = [tag_shape(article.section, is_section=True)] if article.section_id else []
    own = getattr(article, "tag_list", None)  # streamed posts carry their tags inline (selectors)
    return tags + [tag_shape(tag, is_section=False) for tag in (article.tags.all() if own is None else own)]


def post_authors(article) -> list[dict]:
    return [author_shape(link.author) for link in getattr(article, "ordered_article_authors", [])]


def post_shape_for(article, *, decision, params) -> dict:
    """`post_shape` for one reader: the HTML is what the caller's paywall decision allows (`article_body_for`)."""
    html, _ = article_body_for(article=article, decision=decision)
    return post_shape(
        article,
        html=html,
        granted=decision.granted,
        include=params.include,
        fields=params.fields,
        formats=params.formats,
    )


def _entry_shape(
    entry,
    *,
    kind: str,
    html: str,
    image,
    custom_excerpt: str,
    formats: tuple[str, ...],
    visibility: str,
    access: bool,
    comments: bool,
    url: str,
    canonical_url: str | None,
) -> dict:
    """What posts and pages share (Ghost gives both the same fields). `html` is what the reader may see; the excerpt
    and plaintext come from it."""
    data = {
        "id": ids.ghost_id(kind, entry.pk),
        "uuid": ids.ghost_uuid(kind, entry.pk),
        "title": entry.title,
        "slug": entry.slug,
        "comment_id": ids.ghost_id(kind, entry.pk),
        "feature_image": _image_url(image),
        "feature_image_alt": (image.alt or None) if image else None,
        "feature_image_caption": (image.caption or None) if image else None,
        "featured": False,
        "visibility": visibility,
        "access": access,
        "comments": comments,
        "created_at": iso(entry.created_at),
        "updated_at": iso(entry.updated_at),
        "published_at": iso(entry.published_at),
        "custom_excerpt": custom_excerpt or None,
        "excerpt": excerpt_from(custom=custom_excerpt, text=html_to_text(html)),
        "reading_time": reading_time(entry.body),
        "url": url,
        "canonical_url": canonical_url,
        "og_image": None,
        "og_title": None,
        "og_description": None,
        "twitter_image": None,
        "twitter_title": None,
        "twitter_description": None,
        "meta_title": entry.seo_title or None,
        "meta_description": entry.seo_description or None,
        "email_subject": None,
        "frontmatter": None,
        "codeinjection_head": None,
        "codeinjection_foot": None,
        "custom_template": None,
    }
    _formats(data, html=html, formats=formats)
    return data


def post_shape(
    article, *, html: str, granted: bool, include: frozenset[str], fields: tuple[str, ...], formats: tuple[str, ...]
) -> dict:
    """A Ghost post. `html` is what the reader may see (the full body only when `granted`); plaintext and excerpt
    are derived from it, never from the full body."""
    data = _entry_shape(
        article,
        kind=ids.POST,
        html=html,
        image=article.hero_image if article.hero_image_id else None,
        custom_excerpt=article.dek,
        formats=formats,
        visibility=VISIBILITY.get(article.access_level, "paid"),
        access=granted,
        comments=True,
        url=post_url(article),
        canonical_url=article.source_url or None,
    )
    _includes(data, article, include)
    return fields_select(data, fields, POST_FIELDS)


def _includes(data: dict, article, include: frozenset[str]) -> None:
    if "authors" in include:
        data["authors"] = post_authors(article)
        data["primary_author"] = data["authors"][0] if data["authors"] else None
    if "tags" in include:
        data["tags"] = post_tags(article)
        data["primary_tag"] = data["tags"][0] if data["tags"] else None


def page_shape(page, *, include: frozenset[str], fields: tuple[str, ...], formats: tuple[str, ...]) -> dict:
    """A Ghost page: public, never metered, always the full body."""
    data = _entry_shape(
        page,
        kind=ids.PAGE,
        html=page.body,
        image=page.feature_image if page.feature_image_id else None,
        custom_excerpt=page.excerpt,
        formats=formats,
        visibility="public",
        access=True,
        comments=False,
        url=frontend_url(settings.GHOST_PAGE_URL_PATTERN.format(slug=page.slug, id=page.pk)),
        canonical_url=None,
    )
    if "authors" in include:
        data["authors"], data["primary_author"] = [], None
    if "tags" in include:
        data["tags"], data["primary_tag"] = [], None
    return fields_select(data, fields, POST_FIELDS)


def settings_shape(site) -> dict:
    def nav(items) -> list[dict]:
        items = items if isinstance(items, list) else []
        return [{"label": str(i.get("label", "")), "url": str(i.get("url", ""))} for i in items if isinstance(i, dict)]

    return {
        "title": site.title or "Masthead",
        "description": site.description or "",
        "logo": site.logo or None,
        "icon": site.icon or None,
        "accent_color": site.accent_color or None,
        "cover_image": site.cover_image or None,
        "facebook": None,
        "twitter": None,
        "lang": site.lang or "en",
        "locale": site.lang or "en",
        "timezone": site.timezone or settings.TIME_ZONE or "Etc/UTC",
        "codeinjection_head": None,
        "codeinjection_foot": None,
        "navigation": nav(site.navigation),
        "secondary_navigation": nav(site.secondary_navigation),
        "meta_title": site.meta_title or None,
        "meta_description": site.meta_description or None,
        "og_image": site.og_image or None,
        "og_title": site.og_title or None,
        "og_description": site.og_description or None,
        "twitter_image": site.twitter_image or None,
        "twitter_title": site.twitter_title or None,
        "twitter_description": site.twitter_description or None,
        "members_support_address": site.members_support_address or "noreply",
        "url": settings.FRONTEND_URL.rstrip("/") + "/",
    }


def free_tier_shape() -> dict:
    return {
        "id": ids.ghost_id(ids.TIER, 0),
        "name": "Free",
        "slug": "free",
        "description": "Free articles and a few metered articles a day.",
        "active": True,
        "type": "free",
        "visibility": "public",
        "welcome_page_url": None,
        "created_at": None,
        "updated_at": None,
        "monthly_price": None,
        "yearly_price": None,
        "currency": None,
        "trial_days": 0,
        "benefits": [],
    }


def tier_shape(plan) -> dict:
    """A plan as a paid tier: a monthly plan gives `monthly_price`, a yearly one `yearly_price` (cents)."""
    return {
        "id": ids.ghost_id(ids.TIER, plan.pk),
        "name": plan.name,
        "slug": plan.code,
        "description": None,
        "active": bool(plan.active),
        "type": "paid",
        "visibility": "public",
        "welcome_page_url": None,
        "created_at": iso(plan.created_at),
        "updated_at": iso(plan.updated_at),
        "monthly_price": plan.amount if plan.interval == "month" else None,
        "yearly_price": plan.amount if plan.interval == "year" else None,
        "currency": (plan.currency or "usd").upper(),
        "trial_days": plan.trial_days,
        "benefits": [],
    }
