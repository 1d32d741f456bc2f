"""Billing providers behind one small interface, chosen by `settings.BILLING_PROVIDER` (`dev` or `stripe`) for web
checkout; `app_store` and `google_play` (enabled by their own settings) sell in the apps and are linked afterwards.

    provider = provider_get()
    url = provider.checkout_session_create(user=user, plan=plan)     # where to send the reader to pay
    event = provider.webhook_parse(request)                          # a verified provider event (or WebhookRejected)

Actions on an existing subscription go to the provider that created it (`provider_for(subscription)`), whatever the
current setting says.
"""

from __future__ import annotations

from django.conf import settings

from .base import BillingProvider, NullProvider, StoreApiUnavailable, WebhookRejected


def provider_get(name: str | None = None) -> BillingProvider:
    name = name or settings.BILLING_PROVIDER
    if name == "stripe":
        from .stripe_provider import StripeProvider

        return StripeProvider()
    if name == "dev":
        from .dev import DevProvider

        return DevProvider()
    if name == "app_store":
        from .app_store import AppStoreProvider

        return AppStoreProvider()
    if name == "google_play":
        from .google_play import GooglePlayProvider

        return GooglePlayProvider()
    raise ValueError(f"Unknown BILLING_PROVIDER {name!r} (use 'dev' or 'stripe').")


def provider_for(subscription) -> BillingProvider:
    if subscription.provider in ("dev", "stripe", "app_store", "google_play"):
        return provider_get(subscription.provider)
    return NullProvider()


__all__ = ["BillingProvider", "StoreApiUnavailable", "WebhookRejected", "provider_for", "provider_get"]
