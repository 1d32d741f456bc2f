"""System checks of the billing configuration."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security)
def billing_provider_check(app_configs, **kwargs):
    problems = []
    if settings.BILLING_PROVIDER not in ("dev", "stripe"):
        problems.append(Error(f"Unknown BILLING_PROVIDER {settings.BILLING_PROVIDER!r}.", id="paywall.E002"))
    elif settings.BILLING_PROVIDER == "stripe" and not (settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET):
        problems.append(
            Error(
                "BILLING_PROVIDER is 'stripe' but STRIPE_SECRET_KEY or STRIPE_WEBHOOK_SECRET is empty.",
                hint="Set both from the Stripe dashboard (API keys; the webhook endpoint's signing secret).",
                id="paywall.E001",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def billing_dev_provider_deploy_check(app_configs, **kwargs):
    """The dev provider activates subscriptions without payment: never in production."""
    if not settings.DEBUG and settings.BILLING_PROVIDER == "dev":
        return [
            Warning(
                "BILLING_PROVIDER is 'dev' with DEBUG off: anyone can subscribe without paying.",
                hint="Set BILLING_PROVIDER=stripe with STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET.",
                id="paywall.W001",
            )
        ]
    return []
