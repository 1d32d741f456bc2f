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


@register(Tags.security)
def store_billing_check(app_configs, **kwargs):
    """An enabled store needs what verifies its purchases: refused at start rather than on the first purchase."""
    problems = []
    if settings.APP_STORE_BUNDLE_ID:
        if not settings.APP_STORE_ROOT_CERTIFICATES:
            problems.append(
                Error(
                    "APP_STORE_BUNDLE_ID is set but APP_STORE_ROOT_CERTIFICATES is empty.",
                    hint="Download Apple's root certificates (apple.com/certificateauthority) and list their paths.",
                    id="paywall.E003",
                )
            )
        if settings.APP_STORE_ENVIRONMENT not in ("Production", "Sandbox"):
            problems.append(Error("APP_STORE_ENVIRONMENT must be Production or Sandbox.", id="paywall.E004"))
        elif settings.APP_STORE_ENVIRONMENT == "Production" and settings.APP_STORE_APP_APPLE_ID is None:
            problems.append(Error("APP_STORE_APP_APPLE_ID is required in Production.", id="paywall.E005"))
    if settings.GOOGLE_PLAY_PACKAGE_NAME and not (
        settings.GOOGLE_PLAY_SERVICE_ACCOUNT_FILE
        and settings.GOOGLE_PUBSUB_AUDIENCE
        and settings.GOOGLE_PUBSUB_SERVICE_ACCOUNT_EMAIL
    ):
        problems.append(
            Error(
                "GOOGLE_PLAY_PACKAGE_NAME is set but GOOGLE_PLAY_SERVICE_ACCOUNT_FILE, GOOGLE_PUBSUB_AUDIENCE or "
                "GOOGLE_PUBSUB_SERVICE_ACCOUNT_EMAIL is empty.",
                id="paywall.E006",
            )
        )
    return problems
