"""The free trial: offered once per reader ever, to a verified email."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cms.core.exceptions import Conflict, PermissionDenied

from ..models import FunnelEvent, Subscription
from .errors import PaywallErrorCode
from .funnel import funnel_event_record
from .subscriptions import ALREADY_SUBSCRIBED_MESSAGE, event_write, subscription_email

TRIAL_USED_MESSAGE = "You have already used your free trial."


def trial_available(*, user) -> bool:
    """A trial is offered once per reader ever; an anonymous reader is told it is available (after sign-up)."""
    if user is None:
        return True
    return not Subscription.objects.filter(user_id=user.pk, is_trial=True).exists()


def subscription_trial_start(*, user, now: datetime | None = None) -> Subscription:
    """Start the free trial (PAYWALL_TRIAL_DAYS, 14 by default): once per reader ever, verified email required.

    The "once ever" and "one live subscription" rules are database constraints, so two concurrent requests cannot
    both start a trial: the loser's IntegrityError becomes the same 409 as a second attempt.
    """
    now = now or timezone.now()
    if user.email_verified_at is None:
        raise PermissionDenied(
            "Verify your email address to start your free trial.", code=PaywallErrorCode.EMAIL_UNVERIFIED, field="email"
        )
    _trial_refusal_raise(user=user)
    end = now + timedelta(days=settings.PAYWALL_TRIAL_DAYS)
    try:
        with transaction.atomic():
            sub = Subscription.objects.create(
                user=user,
                status=Subscription.Status.TRIALING,
                is_trial=True,
                current_period_start=now,
                current_period_end=end,
                trial_end=end,
            )
            event_write(subscription=sub, from_status="", source="reader", actor=user, note="free trial started")
            funnel_event_record(
                kind=FunnelEvent.Kind.TRIAL,
                reader_key=f"u:{user.pk}",
                reader_kind="registered",
                now=now,
                attribute=True,
            )
    except IntegrityError:
        _trial_refusal_raise(user=user)  # the concurrent request that won made one of the refusals true
        raise Conflict(ALREADY_SUBSCRIBED_MESSAGE, code=PaywallErrorCode.ALREADY_SUBSCRIBED) from None
    subscription_email(subscription=sub, template="trial_welcome", key=f"sub:{sub.pk}:trial_welcome")
    return sub


def _trial_refusal_raise(*, user) -> None:
    """409 if the reader has had a trial, or has a live subscription."""
    if not trial_available(user=user):
        raise Conflict(TRIAL_USED_MESSAGE, code=PaywallErrorCode.TRIAL_USED)
    if Subscription.objects.filter(user_id=user.pk).live().exists():
        raise Conflict(ALREADY_SUBSCRIBED_MESSAGE, code=PaywallErrorCode.ALREADY_SUBSCRIBED)
