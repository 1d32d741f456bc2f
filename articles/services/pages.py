"""Standalone pages (About, Contact): sanitised like article bodies, never metered, never in article lists."""

from __future__ import annotations

from django.utils import timezone
from django.utils.text import slugify

from ..models import Page
from .html import html_sanitize, html_to_text


def page_prepare(*, page: Page) -> Page:
    """Normalise a page in memory: sanitise the body, plain-text the excerpt, fill the slug and publication time."""
    page.body = html_sanitize(page.body)
    page.excerpt = html_to_text(page.excerpt) if "<" in (page.excerpt or "") else (page.excerpt or "").strip()
    page.slug = page.slug or slugify(page.title)[:300] or "page"
    if page.status == Page.Status.PUBLISHED and page.published_at is None:
        page.published_at = timezone.now()
    return page


def page_save(*, page: Page) -> Page:
    page_prepare(page=page)
    page.save()
    return page


def demo_pages_ensure() -> list[Page]:
    """The demo site's About and Contact pages (idempotent: existing slugs are left as editors changed them)."""
    pages = []
    for slug, title, body in (
        (
            "about",
            "About",
            "<p>Masthead is an independent newsroom covering politics, business and culture.</p>"
            "<p>Our reporting is funded by our subscribers.</p>",
        ),
        (
            "contact",
            "Contact",
            '<p>Tips and corrections: <a href="mailto:news@masthead.local">news@masthead.local</a>.</p>',
        ),
    ):
        page = Page.objects.filter(slug=slug).first()
        if page is None:
            page = page_save(page=Page(slug=slug, title=title, body=body, status=Page.Status.PUBLISHED))
        pages.append(page)
    return pages
