"""The dev provider's checkout page: GET shows a confirmation form, POST activates the subscription for one period.

The signed token in the URL is the proof of who checks out which plan (see `billing.dev`): it cannot be forged, and
posting it twice activates one subscription.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views import View

from cms.core.exceptions import ApplicationError
from paywall.selectors import plan_display

from .base import WebhookRejected
from .dev import DevProvider, dev_checkout_read

TEMPLATE = "paywall/dev_checkout.html"


class DevCheckoutView(View):
    def dispatch(self, request, *args, **kwargs):
        if settings.BILLING_PROVIDER != "dev":  # free subscriptions must not outlive a switch to a real provider
            raise Http404("The dev billing provider is not enabled.")
        return super().dispatch(request, *args, **kwargs)

    def _page(self, request, *, status=200, **context):
        context.setdefault("subscribe_url", settings.PAYWALL_SUBSCRIBE_URL)
        response = render(request, TEMPLATE, context, status=status)
        response["Cache-Control"] = "private, no-store"
        return response

    def get(self, request, token: str):
        try:
            checkout = dev_checkout_read(token)
        except WebhookRejected as exc:
            return self._page(request, status=400, error=str(exc))
        return self._page(
            request, checkout=checkout, price=plan_display(checkout.plan), email=checkout.user.email, confirm=True
        )

    def post(self, request, token: str):
        from paywall.services import subscription_activate
        from paywall.services.groups import group_subscription_activate

        try:
            checkout = DevProvider().webhook_parse(request)
        except WebhookRejected as exc:
            return self._page(request, status=400, error=str(exc))
        try:
            if checkout.group is not None:
                subscription = group_subscription_activate(
                    group=checkout.group,
                    source="dev",
                    actor=checkout.user,
                    provider="dev",
                    provider_subscription_id=checkout.provider_subscription_id,
                )
            else:
                subscription = subscription_activate(
                    user=checkout.user,
                    plan=checkout.plan,
                    source="dev",
                    actor=checkout.user,
                    provider="dev",
                    provider_subscription_id=checkout.provider_subscription_id,
                )
        except ApplicationError as exc:
            return self._page(request, status=exc.status_code, error=exc.message, checkout=checkout)
        return self._page(
            request, checkout=checkout, price=plan_display(checkout.plan), subscription=subscription, done=True
        )
