"""startTrial, checkout, cancelSubscription, resumeSubscription: each calls the service and maps its errors to
`errors: [{field, code, message}]` (ServiceMutation)."""

import graphene

from cms.graphql.mutations import ServiceMutation
from paywall import services

from .types import ReaderSubscriptionType, reader_subscription


class SubscriptionTrialStart(ServiceMutation):
    subscription = graphene.Field(ReaderSubscriptionType)
    login_required = True

    @classmethod
    def perform(cls, root, info):
        user = info.context.user
        services.subscription_trial_start(user=user)
        return {"subscription": reader_subscription(user=user)}


class SubscriptionCheckout(ServiceMutation):
    class Arguments:
        plan = graphene.String(required=True, description="A plan code, e.g. 'weekly'.")

    checkout_url = graphene.String()
    login_required = True

    @classmethod
    def perform(cls, root, info, *, plan):
        return {"checkout_url": services.subscription_checkout_create(user=info.context.user, plan_code=plan)}


class SubscriptionCancel(ServiceMutation):
    """Cancel at period end: access continues until the current period ends."""

    subscription = graphene.Field(ReaderSubscriptionType)
    login_required = True

    @classmethod
    def perform(cls, root, info):
        user = info.context.user
        sub = services.subscription_current(user=user)
        services.subscription_cancel(subscription=sub, source="reader", actor=user)
        return {"subscription": reader_subscription(user=user)}


class SubscriptionResume(ServiceMutation):
    subscription = graphene.Field(ReaderSubscriptionType)
    login_required = True

    @classmethod
    def perform(cls, root, info):
        user = info.context.user
        sub = services.subscription_current(user=user)
        services.subscription_resume(subscription=sub, source="reader", actor=user)
        return {"subscription": reader_subscription(user=user)}


class PaywallMutations(graphene.ObjectType):
    start_trial = SubscriptionTrialStart.Field()
    checkout = SubscriptionCheckout.Field()
    cancel_subscription = SubscriptionCancel.Field()
    resume_subscription = SubscriptionResume.Field()
