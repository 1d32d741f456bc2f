import factory

from paywall.models import Plan, Subscription
from tests.accounts.factories import UserFactory


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("code",)

    code = "weekly"
    name = "Weekly"
    amount = 50
    currency = "usd"
    interval = "week"


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    user = factory.SubFactory(UserFactory)
    plan = factory.SubFactory(PlanFactory)
    status = Subscription.Status.ACTIVE
    provider = "dev"
