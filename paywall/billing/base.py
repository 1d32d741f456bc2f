"""The provider interface."""

from __future__ import annotations

from typing import Any, Protocol


class WebhookRejected(Exception):
    """The request is not a genuine, fresh provider event (bad or missing signature, stale timestamp, bad body)."""


class BillingProvider(Protocol):
    name: str

    def checkout_session_create(self, *, user, plan, group=None) -> str:
        """Start a checkout for `plan`; return the URL to send the reader to. With `group`: the group's
        subscription, `group.seats` seats of a per-seat plan, bought by `user` (its admin)."""

    def webhook_parse(self, request) -> Any:
        """Verify and decode a provider callback; raise WebhookRejected if it is not genuine."""

    def subscription_cancel_at_period_end(self, *, subscription, cancel: bool) -> None:
        """Tell the provider to stop (or resume) renewing at period end."""

    def subscription_cancel_now(self, *, subscription, refund: bool) -> bool:
        """End the provider subscription at once; return True if a refund was issued."""


class NullProvider:
    """Subscriptions without a provider (trials, comps): nothing to tell anyone."""

    name = ""

    def checkout_session_create(self, *, user, plan, group=None) -> str:  # pragma: no cover - never chosen for checkout
        raise NotImplementedError

    def webhook_parse(self, request):  # pragma: no cover
        raise WebhookRejected("No provider.")

    def subscription_cancel_at_period_end(self, *, subscription, cancel: bool) -> None:
        return None

    def subscription_cancel_now(self, *, subscription, refund: bool) -> bool:
        return False


class StoreApiUnavailable(Exception):
    """A store's server API could not be reached or answered an error: nothing is recorded, the caller answers 503
    (a store's retry then processes the notification)."""


class StoreProvider:
    """Actions on an App Store or Google Play subscription: only the reader can change it, in the store (a 409 with
    the store's `manage_url`); nothing to refund from here (the stores refund on the customer's request)."""

    name = ""
    label = ""

    def checkout_session_create(self, *, user, plan) -> str:  # pragma: no cover - never chosen for checkout
        from cms.core.exceptions import ApplicationError

        raise ApplicationError(f"{self.label} subscriptions are bought in the app.", code="invalid")

    def subscription_cancel_at_period_end(self, *, subscription, cancel: bool) -> None:
        from paywall.services.store import store_managed_conflict

        raise store_managed_conflict(subscription=subscription)

    def subscription_cancel_now(self, *, subscription, refund: bool) -> bool:
        return False
