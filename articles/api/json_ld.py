"""schema.org NewsArticle for the frontend to embed. Paywalled content is declared the way Google asks
(`isAccessibleForFree: false` plus `hasPart` with the CSS selector of the paywalled part), and `articleBody` is
present only when this reader was granted the full text."""

from __future__ import annotations

from django.conf import settings

from articles.models import Article
from articles.selectors import article_authors
from articles.services import html_to_text
from cms.api.links import absolute_url, article_url

PAYWALLED_CSS_SELECTOR = ".paywalled-content"


def article_json_ld(*, article: Article, granted: bool) -> dict:
    return json_ld_for_access(
        article_json_ld_public(article=article),
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


def article_json_ld_public(*, article: Article) -> dict:
    """Everything but `articleBody`: the same for every reader."""
    free = article.access_level == Article.AccessLevel.FREE
    data: dict = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "description": article.seo_description or article.dek,
        "url": article_url(article),
        "mainEntityOfPage": {"@type": "WebPage", "@id": article_url(article)},
        "datePublished": article.published_at.isoformat() if article.published_at else None,
        "dateModified": article.updated_at.isoformat() if article.updated_at else None,
        "author": [{"@type": "Person", "name": a.name} for a in article_authors(article)],
        "publisher": {"@type": "Organization", "name": settings.SITE_NAME},
        "isAccessibleForFree": free,
    }
    if article.section_id:
        data["articleSection"] = article.section.name
    if article.hero_image_id and article.hero_image.file:
        data["image"] = [absolute_url(article.hero_image.file.url)]
    if not free:
        data["hasPart"] = {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": PAYWALLED_CSS_SELECTOR,
        }
    return data
