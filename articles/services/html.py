"""Body HTML: sanitised against an allow-list, and cut at the preview boundary."""

from __future__ import annotations

import re
from html import unescape

import nh3
from django.conf import settings
from django.utils.html import strip_tags

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "sub",
    "sup",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "figure",
    "figcaption",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}

PAYWALL_MARKER = re.compile(r"<p>\s*\[\s*paywall\s*\]\s*</p>|\[\s*paywall\s*\]", re.IGNORECASE)
_PARAGRAPH_END = re.compile(r"</p>", re.IGNORECASE)


def html_sanitize(html: str) -> str:
    """Allow-list sanitising: scripts, event handlers, `javascript:` URLs and unknown tags are removed."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def body_split(html: str, *, paragraphs: int | None = None) -> tuple[str, str]:
    """Return (full body without the marker, preview) for an already sanitised body.

    The preview ends at the editor's `[paywall]` marker; without one, after the first N paragraphs
    (ARTICLE_PREVIEW_PARAGRAPHS, 3). The preview is always strictly shorter than the body: a body of N or fewer
    paragraphs previews all but its last paragraph, a one-paragraph body previews nothing.
    """
    paragraphs = paragraphs or settings.ARTICLE_PREVIEW_PARAGRAPHS
    match = PAYWALL_MARKER.search(html)
    if match:
        preview = html[: match.start()]
        body = (html[: match.start()] + html[match.end() :]).strip()
        body = PAYWALL_MARKER.sub("", body)
        return body, html_sanitize(preview)
    ends = list(_PARAGRAPH_END.finditer(html))
    keep = min(paragraphs, len(ends) - 1)
    if keep <= 0:
        return html, ""
    return html, html_sanitize(html[: ends[keep - 1].end()])


_BLOCK_END = re.compile(r"(</(?:p|h[1-6]|li|blockquote|figcaption|div|pre)\s*>|<br\s*/?>)", re.IGNORECASE)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment, entities decoded (the result is text: escape it before putting it in HTML).
    Block boundaries become spaces, so "<p>One.</p><p>Two</p>" reads "One. Two", not "One.Two"."""
    spaced = _BLOCK_END.sub(r"\1 ", html or "")
    return re.sub(r"\s+", " ", unescape(strip_tags(spaced))).strip()
