"""The paywall's services, by role: `access` (THE decision, `access_decide`), `meter` (counting reads, the
allowances), `trials`, `subscriptions` (checkout, state transitions, the sweep) and `errors` (the app's error
codes). Callers import from here: `from paywall.services import access_decide`.
"""

from .access import (
    AccessDecision,
    Reason,
    access_decide,
    access_decide_many,
    article_body_for,
    article_search_snippets,
    paywall_payload,
)
from .errors import PaywallErrorCode, SubscriptionErrorCode
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
    "PaywallErrorCode",
    "Reason",
    "SubscriptionErrorCode",
    "access_decide",
    "access_decide_many",
    "article_body_for",
    "article_search_snippets",
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
