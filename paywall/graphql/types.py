"""GraphQL types of the paywall: plans and prices, the reader's subscription, the meter."""

from __future__ import annotations

import graphene
from django.utils import timezone
from graphene_django import DjangoObjectType

from cms.graphql.types import value_type
from paywall.models import Plan
from paywall.selectors import (
    STORE_PROVIDERS,
    plan_price,
    subscription_entitlement,
    subscription_latest_get,
    subscription_manage_url,
)
from paywall.services import trial_available

PriceType = value_type(
    "Price",
    amount=graphene.Int(required=True, description="Minor units (cents)."),
    currency=graphene.String(required=True),
    interval=graphene.String(required=True),
    display=graphene.String(required=True, description='e.g. "$0.50/week"'),
)


class PlanType(DjangoObjectType):
    interval = graphene.String(required=True)
    price = graphene.Field(PriceType, required=True, resolver=lambda plan, info: plan_price(plan))

    class Meta:
        model = Plan
        name = "Plan"
        fields = ("code", "name", "trial_days")


class ReaderSubscriptionType(graphene.ObjectType):
    """The reader's latest subscription, or `status: "none"` (all other fields null) when there is none."""

    status = graphene.String(required=True, description="trialing, active, past_due, expired, canceled or none.")
    trial_available = graphene.Boolean(required=True)
    access = graphene.Boolean(required=True, description="Whether it gives full access now.")
    plan = graphene.Field(PlanType)
    is_trial = graphene.Boolean()
    is_comp = graphene.Boolean()
    current_period_start = graphene.DateTime()
    current_period_end = graphene.DateTime()
    trial_end = graphene.DateTime()
    past_due_since = graphene.DateTime()
    cancel_at_period_end = graphene.Boolean()
    canceled_at = graphene.DateTime()
    ended_at = graphene.DateTime()
    provider = graphene.String(description="Where it was bought: stripe, app_store, google_play, dev, comp.")
    managed_by_store = graphene.Boolean(description="Bought in the App Store or Google Play: changed only there.")
    manage_url = graphene.String(description="The store's subscription settings, for a store subscription.")

    class Meta:
        name = "ReaderSubscription"


FIELDS = (
    "status",
    "plan",
    "is_trial",
    "is_comp",
    "current_period_start",
    "current_period_end",
    "trial_end",
    "past_due_since",
    "cancel_at_period_end",
    "canceled_at",
    "ended_at",
    "provider",
)


def reader_subscription(*, user) -> dict:
    sub = subscription_latest_get(user=user)
    data = {"status": "none", "trial_available": trial_available(user=user), "access": False}
    if sub is not None:
        data.update({name: getattr(sub, name) for name in FIELDS})
        data["access"] = subscription_entitlement(subscription=sub, now=timezone.now()) is not None
        data["manage_url"] = subscription_manage_url(subscription=sub)
        data["managed_by_store"] = sub.provider in STORE_PROVIDERS
    return data


class MeterType(graphene.ObjectType):
    reader_kind = graphene.String(required=True)
    limit = graphene.Int(description="Null when unlimited.")
    used = graphene.Int(required=True)
    remaining = graphene.Int(description="Null when unlimited.")
    resets_at = graphene.DateTime(required=True)
    period = graphene.Date(required=True)

    class Meta:
        name = "Meter"
