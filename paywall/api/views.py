"""REST edges of the paywall: plans, the trial, checkout, store purchases, the reader's subscription, the meter,
the billing webhooks (Stripe, App Store, Google Play).
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
from paywall.billing import StoreApiUnavailable, WebhookRejected, provider_get
from paywall.billing.app_store import app_store_notification_process, app_store_purchase_link
from paywall.billing.google_play import google_play_notification_process, google_play_purchase_link
from paywall.readers import reader_resolve, reader_token_attach
from paywall.selectors import plan_list_active, subscription_entitlement, subscription_latest_get
from paywall.services import PaywallErrorCode

from .serializers import (
    AppStoreLinkInputSerializer,
    CheckoutInputSerializer,
    CheckoutOutputSerializer,
    GooglePlayLinkInputSerializer,
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


class _StoreLinkApi(_PrivateApi):
    """Link a store purchase (`input_serializer`) to the signed-in reader with `link`; answers like
    me/subscription/."""

    def post(self, request):
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        self.link(user=request.user, **data.validated_data)
        return Response(me_subscription_data(user=request.user))


def _link_schema(operation_id: str, request) -> dict:
    responses = {200: MeSubscriptionOutputSerializer, **_errors(400, 401, 404, 409, 503)}
    return {"post": extend_schema(operation_id=operation_id, request=request, responses=responses)}


@extend_schema_view(**_link_schema("subscription_app_store_link", AppStoreLinkInputSerializer))
class AppStoreLinkApi(_StoreLinkApi):
    """A StoreKit 2 signed transaction, verified with Apple's library."""

    input_serializer = AppStoreLinkInputSerializer
    link = staticmethod(app_store_purchase_link)


@extend_schema_view(**_link_schema("subscription_google_play_link", GooglePlayLinkInputSerializer))
class GooglePlayLinkApi(_StoreLinkApi):
    """A Play purchase token, read from the Android Publisher API and acknowledged."""

    input_serializer = GooglePlayLinkInputSerializer
    link = staticmethod(google_play_purchase_link)


def _error_json(code: str, message: str, status_code: int, headers=None) -> JsonResponse:
    error = {"field": None, "code": code, "message": message}
    return JsonResponse({"code": code, "message": message, "errors": [error]}, status=status_code, headers=headers)


# Kept as plain Django views: no DRF authentication, parsing or throttling may touch the raw body first.
@method_decorator(csrf_exempt, name="dispatch")
class _ProviderWebhookApi(View):
    """Verify (`parse`: WebhookRejected -> `rejected_status`), then record once and process (`process`); the
    provider's API unreachable (`unavailable`) -> 503, nothing recorded, so the provider's retry processes it."""

    http_method_names = ["post"]
    provider = ""
    rejected_status = 400
    unavailable: tuple[type[Exception], ...] = (StoreApiUnavailable,)

    def parse(self, request) -> dict:
        return provider_get(self.provider).webhook_parse(request)

    def process(self, event: dict) -> str:  # pragma: no cover - every subclass has its own
        raise NotImplementedError

    def post(self, request):
        try:
            event = self.parse(request)
            outcome = self.process(event)
        except WebhookRejected as exc:
            return _error_json(PaywallErrorCode.INVALID_SIGNATURE, str(exc), self.rejected_status)
        except self.unavailable as exc:
            logger.warning("%s event not processed: %s", self.provider, exc)
            message = "Payment provider unavailable."
            return _error_json(PaywallErrorCode.BILLING_UNAVAILABLE, message, 503, headers={"Retry-After": "30"})
        logger.info("%s event %s %s: %s", self.provider, event["id"], event["type"], outcome)
        return JsonResponse({"received": True, "outcome": outcome})


class StripeWebhookApi(_ProviderWebhookApi):
    provider = "stripe"
    unavailable = (stripe.StripeError,)

    def process(self, event: dict) -> str:
        from paywall.billing.stripe_provider import stripe_event_process

        return stripe_event_process(event=event)


class AppStoreWebhookApi(_ProviderWebhookApi):
    """App Store Server Notifications V2: `{"signedPayload": "<JWS>"}`."""

    provider = "app_store"

    def process(self, event: dict) -> str:
        return app_store_notification_process(event=event)


class GooglePlayWebhookApi(_ProviderWebhookApi):
    """Real-time developer notifications, pushed by Pub/Sub with an OIDC token (refused: 401)."""

    provider = "google_play"
    rejected_status = 401

    def process(self, event: dict) -> str:
        return google_play_notification_process(event=event)
