"""Search result snippets: a short window of text around the first match, the matched terms wrapped in <mark>.

The text given here is chosen by the caller from the paywall's decision (the full body only when access is granted
without counting, the preview otherwise), so a snippet never shows words from after the preview boundary to a
reader without access.
"""

from __future__ import annotations

import re

from django.utils.html import escape

from .html import html_to_text

_WORD = re.compile(r"[\w'-]+", re.UNICODE)
_STOP = {"a", "an", "and", "the", "or", "of", "to", "in", "on", "for", "is", "not"}


def search_terms(query: str) -> list[str]:
    terms = [t.strip("'-").lower() for t in _WORD.findall(query or "")]
    return [t for t in dict.fromkeys(terms) if len(t) > 1 and t not in _STOP][:10]


def search_snippet(*, html: str, query: str, length: int = 220) -> str:
    """Plain text around the first match (escaped), with every term occurrence in `<mark>`; "" without a match."""
    text = html_to_text(html)
    terms = search_terms(query)
    if not text or not terms:
        return ""
    pattern = re.compile(r"\b(" + "|".join(re.escape(t) for t in terms) + r")\w*", re.IGNORECASE)
    match = pattern.search(text)
    if match is None:
        return ""
    start = max(0, match.start() - length // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < match.start() else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > match.end() else end
    window = text[start:end]
    marked = pattern.sub(lambda m: f"\x00{m.group(0)}\x01", window)
    out = escape(marked).replace("\x00", "<mark>").replace("\x01", "</mark>")
    return ("… " if start else "") + out + (" …" if end < len(text) else "")
