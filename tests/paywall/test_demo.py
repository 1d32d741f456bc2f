"""The demo seeding of the paywall (`seed_demo` calls it), kept out of the domain services."""

import pytest

from paywall.demo import demo_subscriptions_ensure
from paywall.models import Subscription

pytestmark = pytest.mark.django_db


def test_demo_subscriptions_ensure_is_idempotent(reader):
    first = demo_subscriptions_ensure(subscriber_email="READER@example.com")
    second = demo_subscriptions_ensure(subscriber_email="reader@example.com")
    assert first.pk == second.pk and first.status == Subscription.Status.ACTIVE and first.plan.code == "weekly"
    assert demo_subscriptions_ensure(subscriber_email="nobody@example.com") is None
