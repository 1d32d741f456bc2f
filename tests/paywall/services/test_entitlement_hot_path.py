"""`subscription_entitlement_get` (the paywall's per-request lookup: four columns of the latest row) must agree
with the full rule on the full row, `subscription_entitlement(subscription_latest_get(...))`, for every
state, including a reader whose older subscription is live but whose latest is not."""

from datetime import timedelta

import pytest
from django.utils import timezone

from paywall.models import Subscription
from paywall.selectors import subscription_entitlement, subscription_entitlement_get, subscription_latest_get
from tests.accounts.factories import UserFactory
from tests.paywall.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db
S = Subscription.Status
NOW = timezone.now()
DAY = timedelta(days=1)

CASES = {
    "none": [],
    "active": [dict(status=S.ACTIVE, current_period_end=NOW + DAY)],
    "active, period over": [dict(status=S.ACTIVE, current_period_end=NOW - DAY)],
    "trialing": [dict(status=S.TRIALING, trial_end=NOW + DAY, is_trial=True)],
    "trial over": [dict(status=S.TRIALING, trial_end=NOW - DAY, is_trial=True)],
    "past due, in grace": [dict(status=S.PAST_DUE, past_due_since=NOW - timedelta(hours=1))],
    "past due, grace over": [dict(status=S.PAST_DUE, past_due_since=NOW - 30 * DAY)],
    "canceled": [dict(status=S.CANCELED, current_period_end=NOW + DAY)],
    "expired": [dict(status=S.EXPIRED, current_period_end=NOW - DAY)],
    "latest wins": [
        dict(status=S.ACTIVE, current_period_end=NOW + DAY, created_at=NOW - 10 * DAY),
        dict(status=S.EXPIRED, current_period_end=NOW - DAY, created_at=NOW - DAY),
    ],
}


@pytest.mark.parametrize("case", list(CASES))
def test_hot_path_agrees_with_the_full_rule(case):
    user = UserFactory()
    for fields in CASES[case]:
        created_at = fields.pop("created_at", None)
        sub = SubscriptionFactory(user=user, **fields)
        if created_at is not None:
            Subscription.objects.filter(pk=sub.pk).update(created_at=created_at)
    full = subscription_entitlement(subscription=subscription_latest_get(user=user), now=NOW)
    fast = subscription_entitlement_get(user=user, now=NOW)
    assert (fast and fast.kind) == (full and full.kind)


def test_anonymous_has_no_entitlement():
    assert subscription_entitlement_get(user=None, now=NOW) is None
