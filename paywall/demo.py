"""Demo content for `seed_demo`: not part of the paywall's domain services."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model

from .models import Plan, Subscription
from .selectors import plan_list_active
from .services import subscription_activate


def demo_subscriptions_ensure(*, subscriber_email: str, now: datetime | None = None) -> Subscription | None:
    """Give the demo subscriber an active weekly subscription (dev provider, so the sweep renews it). Idempotent:
    an existing live subscription is kept."""
    user = get_user_model().objects.filter(email__iexact=subscriber_email).first()
    if user is None:
        return None
    live = Subscription.objects.filter(user_id=user.pk).live().first()
    if live is not None:
        return live
    plan = Plan.objects.filter(code="weekly").first() or plan_list_active().first()
    if plan is None:
        return None
    return subscription_activate(
        user=user, plan=plan, source="demo", provider="dev", provider_subscription_id=f"demo_{user.pk}", now=now
    )
