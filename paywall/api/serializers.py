"""Output/input shapes of the paywall's REST endpoints."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cms.api.serializers import MeterSummarySerializer
from paywall.selectors import STORE_PROVIDERS, plan_price, subscription_manage_url


class PriceOutputSerializer(serializers.Serializer):
    amount = serializers.IntegerField(help_text="Minor units (cents).")
    currency = serializers.CharField()
    interval = serializers.CharField()
    display = serializers.CharField(help_text='e.g. "$0.50/week"')


class PlanOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    price = serializers.SerializerMethodField()
    trial_days = serializers.IntegerField()

    @extend_schema_field(PriceOutputSerializer)
    def get_price(self, plan) -> dict:
        return PriceOutputSerializer(plan_price(plan)).data


class SubscriptionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    plan = PlanOutputSerializer(allow_null=True)
    is_trial = serializers.BooleanField()
    is_comp = serializers.BooleanField()
    current_period_start = serializers.DateTimeField(allow_null=True)
    current_period_end = serializers.DateTimeField(allow_null=True)
    trial_end = serializers.DateTimeField(allow_null=True)
    past_due_since = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()
    canceled_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    provider = serializers.CharField(help_text="stripe, app_store, google_play, dev, comp; empty for a trial.")
    managed_by_store = serializers.SerializerMethodField(help_text="Bought in a store: cancel and resume there.")
    manage_url = serializers.SerializerMethodField(help_text="The store's subscription settings (store only).")

    def get_managed_by_store(self, subscription) -> bool:
        return subscription.provider in STORE_PROVIDERS

    def get_manage_url(self, subscription) -> str | None:
        return subscription_manage_url(subscription=subscription)


class MeSubscriptionOutputSerializer(SubscriptionOutputSerializer):
    """The reader's latest subscription plus what it gives now (`access`) and whether a trial is still on offer.
    With no subscription at all: only `{"status": "none", "trial_available": ...}`."""

    access = serializers.BooleanField(required=False)
    trial_available = serializers.BooleanField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():  # documented as optional: absent when status is "none"
            if name not in ("status", "trial_available"):
                field.required = False


class PlanListOutputSerializer(serializers.Serializer):
    results = PlanOutputSerializer(many=True)


class CheckoutInputSerializer(serializers.Serializer):
    plan = serializers.SlugField(max_length=50)


class CheckoutOutputSerializer(serializers.Serializer):
    checkout_url = serializers.URLField()


class AppStoreLinkInputSerializer(serializers.Serializer):
    signed_transaction = serializers.CharField(
        max_length=20000, help_text="StoreKit 2 `Transaction.jwsRepresentation` of the subscription purchase."
    )


class GooglePlayLinkInputSerializer(serializers.Serializer):
    purchase_token = serializers.CharField(max_length=2000, help_text="The Play Billing `Purchase.purchaseToken`.")
    product_id = serializers.CharField(max_length=100, help_text="The subscription's product id.")


class MeterOutputSerializer(MeterSummarySerializer):
    period = serializers.DateField()
