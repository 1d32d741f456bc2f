"""seed_demo's Ghost side: About and Contact pages, a site settings row, a stable demo key (DEBUG only)."""

from __future__ import annotations

import pytest

from articles.models import Page
from cms.core.models import SiteSettings
from cms.ghost.demo import demo_content_api_key, demo_ghost_ensure
from cms.ghost.keys import content_api_key_verify
from cms.ghost.models import ContentApiKey

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_prints_the_same_key(settings):
    settings.DEBUG = True
    first, second = demo_ghost_ensure(), demo_ghost_ensure()
    assert first == second
    assert set(Page.objects.values_list("slug", flat=True)) == {"about", "contact"}
    assert SiteSettings.objects.count() == 1 and SiteSettings.objects.get().navigation
    key = demo_content_api_key()
    assert f"Ghost Content API key: {key}" in first[-1]
    assert ContentApiKey.objects.count() == 1 and content_api_key_verify(key)


def test_no_demo_key_without_debug(settings):
    settings.DEBUG = False
    lines = demo_ghost_ensure()
    assert not ContentApiKey.objects.exists() and not any("key" in line for line in lines)
