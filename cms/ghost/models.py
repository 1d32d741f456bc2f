"""Ghost Content API keys: one per integration (a Ghost theme, a starter, an app), issued and revoked by staff."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ContentApiKey(models.Model):
    """A Ghost Content API key: 26 lowercase hex characters, sent as `?key=`.

    Only a SHA-256 digest is stored (the key is 104 random bits, so the digest is looked up directly and compared in
    constant time); `prefix` (its first 6 characters) identifies it in lists. The raw key is shown once.
    """

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=6, editable=False, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "Content API key"
        verbose_name_plural = "Content API keys"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
