"""`Subscription.objects.live()`: the subscriptions in a live state, the one notion of "live" the services use."""

from datetime import timedelta

import pytest
from django.utils import timezone

from paywall.models import Subscription
from tests.accounts.factories import UserFactory
from tests.paywall.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db
S = Subscription.Status


@pytest.mark.parametrize("status", list(S))
def test_live_is_trialing_active_or_past_due(status):
    sub = SubscriptionFactory(user=UserFactory(), status=status)
    assert Subscription.objects.live().filter(pk=sub.pk).exists() is (status in (S.TRIALING, S.ACTIVE, S.PAST_DUE))


def test_live_is_a_state_not_a_time_a_live_row_past_its_end_stays_live_until_the_sweep():
    ran_out = SubscriptionFactory(user=UserFactory(), status=S.ACTIVE, current_period_end=timezone.now() - timedelta(1))
    assert list(Subscription.objects.live()) == [ran_out]


def test_live_chains_with_other_filters():
    user, other = UserFactory(), UserFactory()
    SubscriptionFactory(user=user, status=S.EXPIRED)
    mine = SubscriptionFactory(user=user, status=S.ACTIVE)
    SubscriptionFactory(user=other, status=S.ACTIVE)
    assert list(Subscription.objects.filter(user=user).live()) == [mine]
    assert Subscription.objects.live().filter(user=user).get() == mine
