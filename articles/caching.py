"""The article detail's reader-independent part, cached per content generation.

An article detail is private (it depends on the reader), but most of its work is the same for every reader:
fetching the article with section, hero image, byline and tags (three queries and the ORM's compilation), rendering
the public fields and the JSON-LD, and extracting the `articleBody` text. `article_detail_snapshot` keeps all of
that in the cache, with the article instance itself, under the content generation (`cms.core.caching`), so a
detail request costs one cache round trip for the article; the paywall decision (`paywall.services.access_decide`)
and the body/preview cut are still made per request on the cached instance. The full body is kept server-side in
the cache like in the database; only the decision decides what leaves the server.

The public part holds absolute URLs, which start with the base of the request (`cms.core.links.site_base`: one
when `SITE_URL` is set, the request's scheme and host otherwise). One cache entry per article holds a snapshot per
base (at most `MAX_BASES`), so a host never sees another host's URLs and forgetting an article is still one delete.

Invalidation: every content change bumps the generation (articles/signals.py). A comment changes only the article's
`comment_count`, so it forgets that one snapshot instead (`article_detail_snapshot_forget`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.core.cache import cache

from articles import selectors
from articles.models import Article
from articles.presenters import article_json_ld_body, article_json_ld_public, article_public
from cms.core.caching import generation_get, generation_set

MAX_BASES = 4  # hosts one article's entry keeps snapshots for (one in production: SITE_URL or the public host)


@dataclass(frozen=True)
class ArticleSnapshot:
    article: Article  # as selectors.article_get returns it (relations prefetched)
    public: dict  # presenters.article_public
    json_ld: dict  # presenters.article_json_ld_public: no articleBody
    json_ld_body: str  # the articleBody text, sent only to readers granted the full text


_PLAIN_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,300}")


def _key(slug: str) -> str:
    if not _PLAIN_SLUG.fullmatch(slug):  # no article has such a slug (e.g. GraphQL's free-form argument): keep the
        slug = "~" + hashlib.sha256(slug.encode("utf-8", "surrogateescape")).hexdigest()  # key short and portable
    return f"article-detail:v2:{slug}"


def article_detail_snapshot(*, slug: str, base: str) -> ArticleSnapshot:
    """The published article `slug` and its public rendering with URLs on `base` (NotFound if it is not public):
    one cache round trip when warm. A cache outage means a rebuild."""
    key = _key(slug)
    generation, by_base = generation_get(key)
    snapshot = by_base.get(base) if by_base else None
    if snapshot is not None:
        return snapshot
    article = selectors.article_get(slug=slug)
    snapshot = ArticleSnapshot(
        article=article,
        public=article_public(article, base=base),
        json_ld=article_json_ld_public(article=article, base=base),
        json_ld_body=article_json_ld_body(article),
    )
    others = dict(list((by_base or {}).items())[-(MAX_BASES - 1) :])
    generation_set(key, generation, {**others, base: snapshot})
    return snapshot


def article_detail_snapshot_forget(*, article_id: int, **_kwargs) -> None:
    """Drop one article's snapshots (its comment count changed). Receiver of `article_comments_changed`."""
    slug = Article.objects.filter(pk=article_id).values_list("slug", flat=True).first()
    if slug is not None:
        cache.delete(_key(slug))
