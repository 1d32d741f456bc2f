"""The paywall's services, by role: `access` (THE decision, `access_decide`), `meter` (counting reads, the
allowances), `trials`, `subscriptions` (checkout, state transitions, the sweep), `gifts` (gift links) and `errors`
(the app's error codes). Callers import from here: `from paywall.services import access_decide`.
"""

from .access import (
    AccessDecision,
    Reason,
    access_decide,
    access_decide_many,
    article_body_for,
    article_search_snippets,
    gift_offer_payload,
    gift_payload,
    paywall_payload,
)
from .errors import PaywallErrorCode, SubscriptionErrorCode
from .gifts import GiftLimitReached, gift_link_create, gift_link_revoke, gift_link_token
from .meter import meter_merge, meter_periods_close, meter_policy_update, meter_read_record, meter_state
from .subscriptions import (
    subscription_activate,
    subscription_cancel,
    subscription_cancel_now,
    subscription_checkout_create,
    subscription_comp,
    subscription_current,
    subscription_expire,
    subscription_mark_past_due,
    subscription_renew,
    subscription_resume,
    subscription_sweep,
)
from .trials import subscription_trial_start, trial_available

__all__ = [
    "AccessDecision",
    "GiftLimitReached",
    "PaywallErrorCode",
    "Reason",
    "SubscriptionErrorCode",
    "access_decide",
    "access_decide_many",
    "article_body_for",
    "article_search_snippets",
    "gift_link_create",
    "gift_link_revoke",
    "gift_link_token",
    "gift_offer_payload",
    "gift_payload",
    "meter_merge",
    "meter_periods_close",
    "meter_policy_update",
    "meter_read_record",
    "meter_state",
    "paywall_payload",
    "subscription_activate",
    "subscription_cancel",
    "subscription_cancel_now",
    "subscription_checkout_create",
    "subscription_comp",
    "subscription_current",
    "subscription_expire",
    "subscription_mark_past_due",
    "subscription_renew",
    "subscription_resume",
    "subscription_sweep",
    "subscription_trial_start",
    "trial_available",
]
