"""Content API keys in the admin: staff create one per integration (the key is shown once) and revoke it."""

from __future__ import annotations

from django.contrib import admin

from cms.core.key_admin import IssuedKeyAdmin

from .keys import content_api_key_create, content_api_key_revoke
from .models import ContentApiKey


@admin.register(ContentApiKey)
class ContentApiKeyAdmin(IssuedKeyAdmin):
    key_label = "Content API key"
    key_usage = "Frontends send it as ?key= to /ghost/api/content/."

    def key_create(self, *, name: str, created_by):
        return content_api_key_create(name=name, created_by=created_by)

    def key_revoke(self, *, key) -> None:
        content_api_key_revoke(key=key)
