"""The demo site's Ghost side, for `seed_demo`: About and Contact pages, a site settings row, and (with DEBUG only)
a Content API key derived from SECRET_KEY, so `make run` prints the same key on every run."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from articles.services.pages import demo_pages_ensure
from cms.core.models import SiteSettings

from .keys import content_api_key_create, key_hash
from .models import ContentApiKey

DEMO_KEY_NAME = "Demo frontend"


def demo_content_api_key() -> str:
    return hmac.new(settings.SECRET_KEY.encode(), b"masthead.ghost.demo-key", hashlib.sha256).hexdigest()[:26]


def demo_ghost_ensure() -> list[str]:
    """Idempotent. Returns lines for seed_demo to print."""
    pages = demo_pages_ensure()
    if not SiteSettings.objects.exists():
        SiteSettings.objects.create(
            title="Masthead",
            description="Independent reporting on politics, business and culture.",
            navigation=[{"label": page.title, "url": f"/{page.slug}/"} for page in pages],
            secondary_navigation=[{"label": "Subscribe", "url": "/subscribe/"}],
        )
    lines = [f"pages: {', '.join(page.title for page in pages)}; site settings: title and navigation"]
    if settings.DEBUG:
        raw = demo_content_api_key()
        if not ContentApiKey.objects.filter(key_hash=key_hash(raw)).exists():
            content_api_key_create(name=DEMO_KEY_NAME, raw=raw)
        lines.append(f"Ghost Content API key: {raw}  (e.g. /ghost/api/content/posts/?key={raw})")
    return lines
