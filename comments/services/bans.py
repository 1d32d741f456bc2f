"""Readers barred from commenting, for a while or for good."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Q
from django.utils import timezone

from cms.core.exceptions import ApplicationError, PermissionDenied

from ..errors import CommentErrorCode
from ..models import CommentBan


def comment_ban_active(*, user, now: datetime | None = None) -> CommentBan | None:
    now = now or timezone.now()
    return (
        CommentBan.objects.filter(user=user)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by(F("ends_at").desc(nulls_first=True))
        .first()
    )


def comment_ban_create(*, user, by=None, ends_at: datetime | None = None, reason: str = "") -> CommentBan:
    """Bar `user` from commenting until `ends_at` (None: for good). Staff cannot be banned."""
    if ends_at is not None and ends_at <= timezone.now():
        raise ApplicationError(
            "The end of a ban must be in the future.", code=CommentErrorCode.INVALID, field="ends_at"
        )
    if user.is_staff:
        raise ApplicationError("Staff members cannot be banned from commenting.", code=CommentErrorCode.INVALID)
    return CommentBan.objects.create(user=user, created_by=by, ends_at=ends_at, reason=reason[:300])


def comment_ban_lift(*, ban_id: int) -> int:
    """End a ban now. Idempotent: an ended ban stays ended."""
    now = timezone.now()
    return CommentBan.objects.filter(pk=ban_id).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now)).update(ends_at=now)


def comment_ban_check(user) -> None:
    """Raise `banned` while `user` has an active ban."""
    ban = comment_ban_active(user=user)
    if ban is not None:
        until = f" until {ban.ends_at:%Y-%m-%d %H:%M} UTC" if ban.ends_at else ""
        raise PermissionDenied(f"You are not allowed to comment{until}.", code=CommentErrorCode.BANNED)
