"""Reads of the core records: the site settings singleton."""

from __future__ import annotations

from django.core.cache import cache

from .models import SiteSettings

SITE_SETTINGS_CACHE_KEY = "core:site-settings"
SITE_SETTINGS_CACHE_SECONDS = 300


def site_settings_get() -> SiteSettings:
    """The one settings row (an unsaved default when none exists yet), cached; a save forgets the cache
    (`site_settings_forget`, connected in cms.ghost.signals)."""
    found = cache.get(SITE_SETTINGS_CACHE_KEY)
    if found is not None:
        return found
    found = SiteSettings.objects.order_by("pk").first() or SiteSettings()
    cache.set(SITE_SETTINGS_CACHE_KEY, found, timeout=SITE_SETTINGS_CACHE_SECONDS)
    return found


def site_settings_forget(**_kwargs) -> None:
    cache.delete(SITE_SETTINGS_CACHE_KEY)
