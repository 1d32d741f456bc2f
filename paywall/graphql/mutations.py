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


class _ReaderSubscriptionChange(ServiceMutation):
    """Runs `change` (a state change service) on the signed-in reader's current subscription."""

    subscription = graphene.Field(ReaderSubscriptionType)
    login_required = True

    class Meta:
        abstract = True

    @classmethod
    def perform(cls, root, info):
        user = info.context.user
        cls.change(subscription=services.subscription_current(user=user), source="reader", actor=user)
        return {"subscription": reader_subscription(user=user)}


class SubscriptionCancel(_ReaderSubscriptionChange):
    """Cancel at period end: access continues until the current period ends."""

    change = staticmethod(services.subscription_cancel)


class SubscriptionResume(_ReaderSubscriptionChange):
    change = staticmethod(services.subscription_resume)


class PaywallMutations(graphene.ObjectType):
    start_trial = SubscriptionTrialStart.Field()
    checkout = SubscriptionCheckout.Field()
    cancel_subscription = SubscriptionCancel.Field()
    resume_subscription = SubscriptionResume.Field()
