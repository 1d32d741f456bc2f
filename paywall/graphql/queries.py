import graphene

from cms.graphql.context import request_reader
from paywall.selectors import plan_list_active
from paywall.services import meter_state

from .types import MeterType, PlanType, ReaderSubscriptionType, reader_subscription


class PaywallQueries(graphene.ObjectType):
    plans = graphene.List(graphene.NonNull(PlanType), required=True, description="The plans on sale.")
    my_subscription = graphene.Field(
        ReaderSubscriptionType, description="The signed-in reader's subscription; null for anonymous readers."
    )
    meter = graphene.Field(MeterType, required=True, description="The current reader's allowance (never counts).")

    @staticmethod
    def resolve_plans(root, info):
        return plan_list_active()

    @staticmethod
    def resolve_my_subscription(root, info):
        user = info.context.user
        if not user.is_authenticated:
            return None
        return reader_subscription(user=user)

    @staticmethod
    def resolve_meter(root, info):
        return meter_state(reader=request_reader(info))
