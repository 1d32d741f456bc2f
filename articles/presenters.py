"""One function per output shape of the content API: plain dicts and values from model instances, no DRF, no
graphene. REST (`articles/api/serializers.py`: the serializers declare the fields for the OpenAPI schema and take
their data from here), GraphQL (`articles/graphql/types.py`: the types resolve the same values), feeds and JSON-LD
all use these, so a fallback or a URL is written once.

Absolute URLs start with `base` (`cms.core.links.site_base`: `SITE_URL`, or the request's scheme and host).
Datetimes are rendered as REST sends them (ISO 8601 in the current time zone, `Z` for UTC), as DRF's
`DateTimeField` does; GraphQL keeps its own `DateTime` scalar for the plain model fields.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Author, Image, Section, Tag
from articles.selectors import article_authors, article_tags
from articles.services.html import html_to_text
from cms.core.links import absolute_url, article_url

PAYWALLED_CSS_SELECTOR = ".paywalled-content"


def datetime_representation(value) -> str | None:
    """A datetime as the REST API renders it (what DRF's DateTimeField gives, without its machinery)."""
    if value is None:
        return None
    if settings.USE_TZ and timezone.is_aware(value):
        value = timezone.localtime(value)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# --- small shapes ------------------------------------------------------------------------------------------------


def ref(obj: Section | Tag | Author | None) -> dict | None:
    """`{slug, name}`: how a list item refers to its section, tags and byline."""
    return {"slug": obj.slug, "name": obj.name} if obj is not None else None


def section_present(section: Section) -> dict:
    return {"slug": section.slug, "name": section.name, "description": section.description}


def image_url(image: Image, *, base: str) -> str:
    return absolute_url(image.file.url, base=base) if image.file else ""


def image_renditions(image: Image, *, base: str) -> list[dict]:
    """The stored renditions (`{width, height, format, url}`), URLs made absolute; anything else is skipped."""
    return [
        {**r, "url": absolute_url(r["url"], base=base)} if r.get("url") else r
        for r in image.renditions or []
        if isinstance(r, dict)
    ]


def image_present(image: Image | None, *, base: str) -> dict | None:
    if image is None:
        return None
    return {
        "url": image_url(image, base=base),
        "width": image.width,
        "height": image.height,
        "alt": image.alt,
        "caption": image.caption,
        "credit": image.credit,
        "renditions": image_renditions(image, base=base),
    }


def author_avatar(author: Author, *, base: str) -> str | None:
    return absolute_url(author.avatar.url, base=base) if author.avatar else None


def author_links(author: Author) -> list[dict]:
    """The author's `{label, url}` links (the stored JSON is a list of them; anything else is skipped)."""
    links = author.links if isinstance(author.links, list) else []
    return [{"label": link.get("label"), "url": link.get("url")} for link in links if isinstance(link, dict)]


def author_present(author: Author, *, base: str) -> dict:
    return {
        "slug": author.slug,
        "name": author.name,
        "bio": author.bio,
        "avatar": author_avatar(author, base=base),
        "links": author_links(author),
    }


def article_source(article: Article) -> dict:
    return {"name": article.source_name, "url": article.source_url}


def article_seo(article: Article) -> dict:
    """The SEO title and description, falling back to the headline and the dek."""
    return {"title": article.seo_title or article.title, "description": article.seo_description or article.dek}


# --- articles --------------------------------------------------------------------------------------------------


def article_list_item(article: Article, *, base: str, snippet: str | None = None) -> dict:
    """An article in a list (no body): what `ArticleListItemSerializer` documents, in its field order."""
    return {
        "id": article.pk,
        "slug": article.slug,
        "title": article.title,
        "dek": article.dek,
        "section": ref(article.section),
        "tags": [ref(t) for t in article_tags(article)],
        "authors": [ref(a) for a in article_authors(article)],
        "published_at": datetime_representation(article.published_at),
        "updated_at": datetime_representation(article.updated_at),
        "hero_image": image_present(article.hero_image, base=base),
        "access_level": article.access_level,
        "comment_count": article.comment_count,
        "url": article_url(article, base=base),
        "snippet": snippet,
    }


_SUGGESTION_ROUTES = {
    "article": "api:article-detail",
    "section": "api:section-detail",
    "author": "api:author-detail",
}


def search_suggestion(suggestion, *, base: str) -> dict:
    """A search suggestion (`articles.search.Suggestion`): `{type, text, slug, url}`; `url` is the API read of what
    it names (a tag's: the article list filtered by it)."""
    kind = suggestion.type
    if kind == "tag":
        path = reverse("api:article-list") + "?" + urlencode({"tag": suggestion.slug})
    else:
        path = reverse(_SUGGESTION_ROUTES[kind], kwargs={"slug": suggestion.slug})
    return {"type": kind, "text": suggestion.text, "slug": suggestion.slug, "url": absolute_url(path, base=base)}


def article_public(article: Article, *, base: str) -> dict:
    """The part of an article detail that is the same for every reader (cacheable per content generation and
    base): the list item plus `source` and `seo`. `article_detail` adds the reader's part."""
    data = article_list_item(article, base=base)
    data["source"] = article_source(article)
    data["seo"] = article_seo(article)
    return data


def article_detail(
    public: dict,
    *,
    body: str,
    body_is_preview: bool,
    json_ld: dict,
    access: dict,
    paywall: dict | None,
    gift: dict | None = None,
    offer: dict | None = None,
) -> dict:
    """What `ArticleDetailOutputSerializer` documents, in its field order, from the public part and the reader's
    (`access` as `AccessDecision.as_access()` gives it; `gift` and `offer` as the paywall's gift payloads)."""
    data = {key: value for key, value in public.items() if key not in ("source", "seo")}
    data.update(
        body=body,
        body_is_preview=body_is_preview,
        source=public["source"],
        seo=public["seo"],
        json_ld=json_ld,
        access={**access, "resets_at": datetime_representation(access.get("resets_at"))},
        paywall=paywall,
        gift=gift,
        offer=offer,
    )
    return data


# --- JSON-LD ---------------------------------------------------------------------------------------------------
# schema.org NewsArticle for the frontend to embed. Paywalled content is declared the way Google asks
# (`isAccessibleForFree: false` plus `hasPart` with the CSS selector of the paywalled part), and `articleBody` is
# present only when this reader was granted the full text.


def article_json_ld(*, article: Article, base: str, granted: bool) -> dict:
    return json_ld_for_access(
        article_json_ld_public(article=article, base=base),
        body_text=article_json_ld_body(article) if granted else "",
        granted=granted,
    )


def article_json_ld_body(article: Article) -> str:
    """The `articleBody` text (computed even when not sent: callers cache it beside the public part)."""
    return html_to_text(article.body.replace("</p>", "</p> "))


def json_ld_for_access(public: dict, *, body_text: str, granted: bool) -> dict:
    """The JSON-LD for one reader: `articleBody` only when this reader was granted the full text."""
    if not granted:
        return public
    return {**public, "articleBody": body_text}


def article_json_ld_public(*, article: Article, base: str) -> dict:
    """Everything but `articleBody`: the same for every reader."""
    free = article.access_level == Article.AccessLevel.FREE
    url = article_url(article, base=base)
    data: dict = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "description": article_seo(article)["description"],
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": article.published_at.isoformat() if article.published_at else None,
        "dateModified": article.updated_at.isoformat() if article.updated_at else None,
        "author": [{"@type": "Person", "name": a.name} for a in article_authors(article)],
        "publisher": {"@type": "Organization", "name": settings.SITE_NAME},
        "isAccessibleForFree": free,
    }
    if article.section_id:
        data["articleSection"] = article.section.name
    if article.hero_image_id and article.hero_image.file:
        data["image"] = [image_url(article.hero_image, base=base)]
    if not free:
        data["hasPart"] = {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": PAYWALLED_CSS_SELECTOR,
        }
    return data


# --- feeds -----------------------------------------------------------------------------------------------------


def article_byline_text(article: Article) -> str | None:
    """The byline as one line ("Ann, Bob"), or None without authors."""
    return ", ".join(a.name for a in article_authors(article)) or None


def article_categories(article: Article) -> list[str]:
    """The section's name, then the tags' names."""
    categories = [article.section.name] if article.section_id else []
    return categories + [t.name for t in article_tags(article)]
