"""The reference article (`seed-article.txt`, a copy of the page the product is modelled on), parsed into fields.

The page text is: section, title, the free paragraphs, the paywall prompt ("You've reached your daily free article
limit." ... "Already a subscriber?"), then the full article again, the source line ("To read the entire article
from The Voice of America, click here:"), the photo credit, and the page furniture (comments, "More from").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.html import escape

SEED_FILE = Path(__file__).with_name("seed-article.txt")

PAYWALL_PROMPT_START = "You've reached"
PAYWALL_PROMPT_END = "Already a subscriber?"
SOURCE_LINE = re.compile(r"^To read the entire article from (?P<name>.+?), click here:?$")
SOURCE_URL = "https://www.voanews.com/a/russia-says-islamic-state-making-afghanistan-resting-place-for-terrorism"
SLUG = "russia-says-is-making-afghanistan-resting-place-for-terrorism"
DEK = (
    "Russia's ambassador to Pakistan warns that the Islamic State is turning northern Afghanistan into a "
    "“resting base” of international terrorism and a bridgehead for its caliphate."
)
TAGS = ("Afghanistan", "Russia", "Islamic State", "Pakistan", "Counterterrorism")
HERO_ALT = "Afghan and coalition soldiers on patrol in a mountain valley in northern Afghanistan"
HERO_CAPTION = "Northern Afghanistan, where Russia says the Islamic State is regrouping."
FREE_PARAGRAPHS = 3


@dataclass(frozen=True)
class ReferenceArticle:
    section: str
    title: str
    dek: str
    free_paragraphs: list[str]
    paragraphs: list[str]
    source_name: str
    source_url: str
    credit: str
    tags: tuple[str, ...] = field(default=TAGS)
    slug: str = SLUG

    def body_html(self) -> str:
        """The full text as paragraphs, with the editor's `[paywall]` marker after the free part."""
        parts = [f"<p>{escape(p)}</p>" for p in self.paragraphs]
        parts.insert(FREE_PARAGRAPHS, "<p>[paywall]</p>")
        return "\n".join(parts)


def _blocks(text: str) -> list[str]:
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]


def reference_article_load(path: Path = SEED_FILE) -> ReferenceArticle:
    blocks = _blocks(path.read_text(encoding="utf-8"))
    section, title = blocks[0], blocks[1]
    prompt_start = next(i for i, b in enumerate(blocks) if b.startswith(PAYWALL_PROMPT_START))
    prompt_end = next(i for i, b in enumerate(blocks) if b.endswith(PAYWALL_PROMPT_END))
    source_index = next(i for i, b in enumerate(blocks) if SOURCE_LINE.match(b))
    free = blocks[2:prompt_start]
    paragraphs = blocks[prompt_end + 1 : source_index]
    source_name = SOURCE_LINE.match(blocks[source_index]).group("name")
    credit = next(b for b in blocks[source_index + 1 :] if b.lower().startswith("photo"))
    return ReferenceArticle(
        section=section,
        title=title,
        dek=DEK,
        free_paragraphs=free,
        paragraphs=paragraphs,
        source_name=source_name,
        source_url=SOURCE_URL,
        credit=credit,
    )
