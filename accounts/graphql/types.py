"""GraphQL types of accounts. The signed-in reader sees their own account; nobody sees anyone else's."""

from __future__ import annotations

import graphene
from django.contrib.auth import get_user_model
from graphene_django import DjangoObjectType

from accounts.paywall import meter_summary, subscription_summary


class SubscriptionSummaryType(graphene.ObjectType):
    status = graphene.String(required=True)
    entitled = graphene.Boolean(required=True, description="Whether it grants access now.")
    kind = graphene.String(description="'subscriber' or 'trial' while entitled.")
    plan = graphene.String()
    plan_display = graphene.String(description="e.g. '$0.50/week'.")
    is_trial = graphene.Boolean(required=True)
    is_comp = graphene.Boolean(required=True)
    current_period_end = graphene.DateTime()
    trial_end = graphene.DateTime()
    cancel_at_period_end = graphene.Boolean(required=True)

    class Meta:
        name = "AccountSubscription"


class MeterSummaryType(graphene.ObjectType):
    reader_kind = graphene.String(required=True)
    limit = graphene.Int(description="Free articles a day; null when unlimited.")
    used = graphene.Int(required=True)
    remaining = graphene.Int()
    resets_at = graphene.DateTime(required=True)

    class Meta:
        name = "AccountMeter"


class AccountType(DjangoObjectType):
    email_verified = graphene.Boolean(required=True)
    subscription = graphene.Field(SubscriptionSummaryType, description="Read-only, from the paywall.")
    meter = graphene.Field(MeterSummaryType, required=True, description="Read-only, from the paywall.")

    class Meta:
        model = get_user_model()
        name = "Account"
        fields = (
            "id",
            "uuid",
            "email",
            "pending_email",
            "display_name",
            "email_verified_at",
            "newsletter",
            "notify_replies",
            "is_staff",
            "date_joined",
        )

    @staticmethod
    def resolve_email_verified(root, info):
        return root.is_verified

    @staticmethod
    def resolve_subscription(root, info):
        return subscription_summary(user=root)

    @staticmethod
    def resolve_meter(root, info):
        return meter_summary(user=root)
