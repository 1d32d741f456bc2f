"""The paywall's error codes: one enum for the app. The values are the public `code` strings of REST and GraphQL
errors; never change one."""

from __future__ import annotations

from enum import StrEnum


class PaywallErrorCode(StrEnum):
    EMAIL_UNVERIFIED = "email_unverified"
    TRIAL_USED = "trial_used"
    ALREADY_SUBSCRIBED = "already_subscribed"
    NO_SUBSCRIPTION = "no_subscription"
    PLAN_UNKNOWN = "plan_unknown"
    PLAN_UNAVAILABLE = "plan_unavailable"
    INVALID_TRANSITION = "invalid_transition"
    INVALID = "invalid"
    BILLING_UNAVAILABLE = "billing_unavailable"
    INVALID_SIGNATURE = "invalid_signature"
    GIFT_NOT_ALLOWED = "gift_not_allowed"
    GIFT_LIMIT_REACHED = "gift_limit_reached"
    GIFT_NOT_FOUND = "gift_not_found"
    SEAT_LIMIT = "seat_limit"
    GROUP_NOT_LIVE = "group_not_live"
    NO_GROUP = "no_group"
    INVITATION_INVALID = "invitation_invalid"
    INVITATION_OTHER_ADDRESS = "invitation_other_address"
    MANAGED_BY_STORE = "managed_by_store"
    PURCHASE_LINKED_ELSEWHERE = "purchase_linked_elsewhere"
    ACCOUNT_TOKEN_MISMATCH = "account_token_mismatch"  # noqa: S105 - an error code, not a secret
    PURCHASE_ENDED = "purchase_ended"
    STORE_DISABLED = "store_disabled"


SubscriptionErrorCode = PaywallErrorCode  # its name before it held every code of the app; still importable
