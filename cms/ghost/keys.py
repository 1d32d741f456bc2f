"""Content API keys: issue, revoke, verify.

Verification runs on every Ghost request, so the outcome of a lookup is cached briefly (`LOOKUP_SECONDS`) under the
key's digest; revoking forgets that entry at once, so a revoked key stops working on the next request. Use is
recorded at most once a minute per key (`last_used_at`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from cms.core.exceptions import ApplicationError

from .models import ContentApiKey

KEY_FORMAT = re.compile(r"[0-9a-f]{26}")
LOOKUP_SECONDS = 30
TOUCH_EVERY = timedelta(minutes=1)
_MISSING = "-"


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _cache_key(digest: str) -> str:
    return f"ghost:key:{digest}"


def content_api_key_create(*, name: str, created_by=None, raw: str | None = None) -> tuple[ContentApiKey, str]:
    """Create a key; return it with its raw value (never stored, shown once). `raw` fixes the value (the demo
    key of `seed_demo`); it must have the key format."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Name the key after the integration that uses it.", code="required", field="name")
    if raw is not None and not KEY_FORMAT.fullmatch(raw):
        raise ApplicationError("A Content API key is 26 lowercase hex characters.", code="invalid", field="key")
    for _ in range(5):
        value = raw or secrets.token_hex(13)
        try:
            with transaction.atomic():
                key = ContentApiKey.objects.create(
                    name=name[:100], prefix=value[:6], key_hash=key_hash(value), created_by=created_by
                )
        except IntegrityError:
            if raw is not None:
                raise ApplicationError("This key exists already.", code="conflict", field="key") from None
            continue
        cache.delete(_cache_key(key.key_hash))
        return key, value
    raise ApplicationError("Could not generate a unique key; try again.", code="conflict")  # pragma: no cover


def content_api_key_revoke(*, key: ContentApiKey) -> ContentApiKey:
    """Revoke a key, effective on the next request (idempotent: the first revocation time stays)."""
    ContentApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    cache.delete(_cache_key(key.key_hash))
    key.refresh_from_db(fields=["revoked_at"])
    return key


def content_api_key_verify(raw: str) -> bool:
    """True for an issued, unrevoked key. Malformed values never reach the database."""
    if not isinstance(raw, str) or not KEY_FORMAT.fullmatch(raw):
        return False
    digest = key_hash(raw)
    entry = cache.get(_cache_key(digest))
    if entry is None:
        found = (
            ContentApiKey.objects.filter(key_hash=digest, revoked_at__isnull=True)
            .values_list("pk", "key_hash", "last_used_at")
            .first()
        )
        entry = found or _MISSING
        cache.set(_cache_key(digest), entry, timeout=LOOKUP_SECONDS)
    if entry == _MISSING or not hmac.compare_digest(entry[1], digest):
        return False
    _touch(pk=entry[0], digest=digest, last_used_at=entry[2])
    return True


def _touch(*, pk: int, digest: str, last_used_at) -> None:
    now = timezone.now()
    if last_used_at is not None and now - last_used_at < TOUCH_EVERY:
        return
    if ContentApiKey.objects.filter(pk=pk, revoked_at__isnull=True).update(last_used_at=now):
        cache.set(_cache_key(digest), (pk, digest, now), timeout=LOOKUP_SECONDS)
