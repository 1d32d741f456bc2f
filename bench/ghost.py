"""The Ghost Content API scenarios of `bench/prepare.py` (see docs/bench.md and docs/ghost-compat.md).

ghost_browse   GET /ghost/api/content/posts/?key=...&limit=15&include=tags,authors   (public, page cache warm)
ghost_read     GET /ghost/api/content/posts/slug/<slug>/?key=...  with a fresh X-Reader-Token: a counted read,
               as `detail_anon` (each reader reads its daily allowance of different articles, then is dropped)
"""

from __future__ import annotations

from collections.abc import Iterator

from cms.ghost.keys import content_api_key_create
from paywall.readers import reader_token_issue

BROWSE = "/ghost/api/content/posts/?key={key}&limit=15&include=tags,authors"
READ = "/ghost/api/content/posts/slug/{slug}/?key={key}"


def ghost_key() -> str:
    """A new Content API key for this bench run (keys are stored hashed: an old one cannot be read back)."""
    _, raw = content_api_key_create(name="bench")
    return raw


def ghost_reads(picks: Iterator[str], *, key: str, anon_limit: int, lines: int):
    """Fresh anonymous readers, each reading `anon_limit` different articles from `picks`: every line counts."""
    made = 0
    while made < lines:
        _, token = reader_token_issue()
        seen: set[str] = set()
        for _ in range(anon_limit):
            slug = next(picks)
            while slug in seen:  # a second view of an article the same day would not count
                slug = next(picks)
            seen.add(slug)
            yield "GET", READ.format(slug=slug, key=key), {"X-Reader-Token": token}, ""
            made += 1


def ghost_scenarios(popular_metered: list[str], *, anon_limit: int, lines: int) -> dict:
    key = ghost_key()
    return {
        "ghost_browse": [("GET", BROWSE.format(key=key), {}, "")],
        "ghost_read": ghost_reads(iter(popular_metered), key=key, anon_limit=anon_limit, lines=lines),
    }
