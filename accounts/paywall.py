"""Where accounts meets the paywall. The REST views and the GraphQL resolvers of accounts both call these; the
paywall never imports accounts, so this module may import the paywall without a cycle.

The profile's read-only `subscription` and `meter` come from paywall's own selectors and services; an anonymous
reader's reads move to the account on login or registration through `paywall.services.meter_merge`.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from paywall.readers import Reader, reader_token_from_request, reader_token_read
from paywall.selectors import plan_display, subscription_entitlement, subscription_latest_get
from paywall.services import meter_merge, meter_state
from paywall.services.funnel import funnel_email_verified_record, funnel_reader_merge, funnel_registration_record
from paywall.services.gifts import gift_redemptions_merge
from paywall.services.groups import group_domain_join_on_verify

logger = logging.getLogger(__name__)


def subscription_summary(*, user) -> dict | None:
    """The reader's subscription as the profile shows it (read-only)."""
    subscription = subscription_latest_get(user=user)
    if subscription is None:
        return None
    entitlement = subscription_entitlement(subscription=subscription, now=timezone.now())
    plan = subscription.plan
    return {
        "status": subscription.status,
        "entitled": entitlement is not None,
        "kind": entitlement.kind if entitlement else None,
        "plan": plan.code if plan else None,
        "plan_display": plan_display(plan) if plan else None,
        "is_trial": subscription.is_trial,
        "is_comp": subscription.is_comp,
        "current_period_end": subscription.current_period_end,
        "trial_end": subscription.trial_end,
        "cancel_at_period_end": subscription.cancel_at_period_end,
    }


def meter_summary(*, user) -> dict:
    """The reader's allowance today (read-only)."""
    state = meter_state(reader=Reader(user=user))
    return {k: state[k] for k in ("reader_kind", "limit", "used", "remaining", "resets_at")}


def anonymous_reads_merge(*, request, user, registered: bool = False) -> int:
    """Move the reads of the anonymous reader behind this request (X-Reader-Token / mh_reader) to `user`, and their
    funnel events and the gift links they opened: from now on they are one person. On registration
    (`registered=True`) the new account also keeps the anonymous reader's experiment arm."""
    anon_id = reader_token_read(reader_token_from_request(request))
    if not anon_id:
        return 0
    funnel_reader_merge(anon_id=anon_id, user=user)
    gift_redemptions_merge(anon_id=anon_id, user=user)
    return meter_merge(anon_id=anon_id, user=user, registered=registered)


def account_registered(*, request, user) -> int:
    """A new account: the anonymous reader's reads, arm and events move to it, then the funnel's `registered`
    step, attributed to the last paywall they saw."""
    anon_id = reader_token_read(reader_token_from_request(request))
    moved = anonymous_reads_merge(request=request, user=user, registered=True)
    funnel_registration_record(user=user, anon_id=anon_id)
    return moved


def email_verified(*, user) -> None:
    """The funnel's `verified` step (see `funnel_email_verified_record`), and a verified address at a group's
    domain joins that group while it has seats (`group_domain_join_on_verify`)."""
    funnel_email_verified_record(user_id=user.pk)
    group_domain_join_on_verify(user=user)
