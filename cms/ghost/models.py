"""Ghost Content API keys: one per integration (a Ghost theme, a starter, an app), issued and revoked by staff."""

from __future__ import annotations

from django.db import models

from cms.core.models import IssuedKey


class ContentApiKey(IssuedKey):
    """A Ghost Content API key: 26 lowercase hex characters, sent as `?key=`.

    Only a SHA-256 digest is stored (the key is 104 random bits, so the digest is looked up directly and compared in
    constant time); `prefix` (its first 6 characters) identifies it in lists. The raw key is shown once.
    """

    prefix = models.CharField(max_length=6, editable=False, db_index=True)

    class Meta(IssuedKey.Meta):
        verbose_name = "Content API key"
        verbose_name_plural = "Content API keys"
