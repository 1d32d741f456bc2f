"""REST edges of the paywall: plans, the trial, checkout, the reader's subscription, the meter, Stripe webhooks.
Views translate; the rules are in `paywall.services`."""

from __future__ import annotations

import logging

import stripe
from django.http import JsonResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.api.serializers import ErrorOutputSerializer
from paywall import services
from paywall.billing import WebhookRejected, provider_get
from paywall.readers import reader_resolve, reader_token_attach
from paywall.selectors import plan_list_active, subscription_entitlement, subscription_latest_get
from paywall.services import PaywallErrorCode

from .serializers import (
    CheckoutInputSerializer,
    CheckoutOutputSerializer,
    MeSubscriptionOutputSerializer,
    MeterOutputSerializer,
    PlanListOutputSerializer,
    PlanOutputSerializer,
    SubscriptionOutputSerializer,
)

_err = {
    code: OpenApiResponse(ErrorOutputSerializer, description=text)
    for code, text in {
        400: "Bad input; `errors[].field` names it.",
        401: "Not signed in.",
        403: "Not allowed (e.g. `email_unverified`).",
        404: "No current subscription (`no_subscription`).",
        409: "Conflicts with the reader's subscriptions (`trial_used`, `already_subscribed`, `invalid_transition`).",
        503: "The payment provider is unavailable; retry.",
    }.items()
}


def _errors(*codes: int) -> dict:
    return {code: _err[code] for code in codes}


logger = logging.getLogger(__name__)


def me_subscription_data(*, user) -> dict:
    """`{"status": "none", "trial_available": ...}` or the latest subscription with `access` and
    `trial_available`. Shared by REST and GraphQL."""
    subscription = subscription_latest_get(user=user)
    trial_available = services.trial_available(user=user)
    if subscription is None:
        return {"status": "none", "trial_available": trial_available}
    data = dict(SubscriptionOutputSerializer(subscription).data)
    data["access"] = subscription_entitlement(subscription=subscription, now=timezone.now()) is not None
    data["trial_available"] = trial_available
    return data


class PlanListApi(APIView):
    """Public and cacheable: the plans on sale."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(operation_id="plans_list", responses={200: PlanListOutputSerializer})
    def get(self, request):
        response = Response({"results": PlanOutputSerializer(plan_list_active(), many=True).data})
        response["Cache-Control"] = "public, max-age=300"
        return response


class _PrivateApi(APIView):
    permission_classes = [IsAuthenticated]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        return response


class SubscriptionTrialStartApi(_PrivateApi):
    @extend_schema(
        operation_id="subscription_trial_start",
        request=None,
        responses={201: SubscriptionOutputSerializer, **_errors(401, 403, 409)},
    )
    def post(self, request):
        subscription = services.subscription_trial_start(user=request.user)
        return Response(SubscriptionOutputSerializer(subscription).data, status=status.HTTP_201_CREATED)


class SubscriptionCheckoutApi(_PrivateApi):
    @extend_schema(
        operation_id="subscription_checkout",
        request=CheckoutInputSerializer,
        responses={200: CheckoutOutputSerializer, **_errors(400, 401, 409, 503)},
    )
    def post(self, request):
        data = CheckoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        url = services.subscription_checkout_create(user=request.user, plan_code=data.validated_data["plan"])
        return Response(CheckoutOutputSerializer({"checkout_url": url}).data)


class MeSubscriptionApi(_PrivateApi):
    @extend_schema(operation_id="me_subscription", responses={200: MeSubscriptionOutputSerializer, **_errors(401)})
    def get(self, request):
        return Response(me_subscription_data(user=request.user))


class _MeSubscriptionChangeApi(_PrivateApi):
    """Runs `change` (a state change service) on the reader's current subscription; answers like me/subscription/."""

    def post(self, request):
        subscription = services.subscription_current(user=request.user)
        self.change(subscription=subscription, source="reader", actor=request.user)
        return Response(me_subscription_data(user=request.user))


_CHANGE_RESPONSES = {200: MeSubscriptionOutputSerializer, **_errors(401, 404, 409, 503)}


@extend_schema_view(
    post=extend_schema(operation_id="me_subscription_cancel", request=None, responses=_CHANGE_RESPONSES)
)
class MeSubscriptionCancelApi(_MeSubscriptionChangeApi):
    change = staticmethod(services.subscription_cancel)


@extend_schema_view(
    post=extend_schema(operation_id="me_subscription_resume", request=None, responses=_CHANGE_RESPONSES)
)
class MeSubscriptionResumeApi(_MeSubscriptionChangeApi):
    change = staticmethod(services.subscription_resume)


class MeterApi(APIView):
    """The current reader's allowance, without counting anything."""

    @extend_schema(operation_id="meter", responses={200: MeterOutputSerializer})
    def get(self, request):
        reader = reader_resolve(request)
        response = Response(MeterOutputSerializer(services.meter_state(reader=reader)).data)
        return reader_token_attach(response, reader)


# Kept as a plain Django view: no DRF authentication, parsing or throttling may touch the raw body first.
@method_decorator(csrf_exempt, name="dispatch")
class StripeWebhookApi(View):
    http_method_names = ["post"]

    def post(self, request):
        from paywall.billing.stripe_provider import stripe_event_process

        try:
            event = provider_get("stripe").webhook_parse(request)
        except WebhookRejected as exc:
            error = {"field": None, "code": PaywallErrorCode.INVALID_SIGNATURE, "message": str(exc)}
            return JsonResponse({"code": error["code"], "message": error["message"], "errors": [error]}, status=400)
        try:
            outcome = stripe_event_process(event=event)
        except stripe.StripeError as exc:  # Stripe unreachable: nothing was recorded, so its retry processes it
            logger.warning("stripe event %s not processed: %s", event["id"], exc)
            error = {
                "field": None,
                "code": PaywallErrorCode.BILLING_UNAVAILABLE,
                "message": "Payment provider unavailable.",
            }
            return JsonResponse({**error, "errors": [error]}, status=503, headers={"Retry-After": "30"})
        logger.info("stripe event %s %s: %s", event["id"], event["type"], outcome)
        return JsonResponse({"received": True, "outcome": outcome})
