"""Small pieces of the comment shape shared by the REST rendering (`comments/api/serializers.py`) and the comments
page cache (`comments/caching.py`), so both write a date the same way."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from rest_framework.fields import DateTimeField

_DATETIME_FIELD = DateTimeField()


def datetime_out(value: datetime | None) -> str | None:
    """A datetime as DRF's DateTimeField renders it (None stays None)."""
    return _DATETIME_FIELD.to_representation(value) if value is not None else None


def comment_editable_until(*, created_at: datetime, now: datetime) -> str | None:
    """When the author's edit window closes, or None once it has."""
    until = created_at + timedelta(minutes=settings.COMMENTS_EDIT_WINDOW_MINUTES)
    return datetime_out(until) if until > now else None
