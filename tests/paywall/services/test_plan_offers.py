"""The paywall's offered plans are cached, and a plan change shows in the next paywall at once."""

from datetime import UTC

import pytest

from paywall.models import Plan
from paywall.readers import Reader
from paywall.selectors import MeterUse, plan_offers
from paywall.services import Reason, paywall_payload
from paywall.services.access import _decision
from paywall.services.meter import ReaderState
from tests.paywall.factories import PlanFactory

pytestmark = pytest.mark.django_db


def _paywall():
    from datetime import date, datetime

    state = ReaderState("anonymous", 3, date(2026, 11, 25), datetime(2026, 11, 26, tzinfo=UTC))
    decision = _decision(state, granted=False, reason=Reason.METER_EXHAUSTED, use=MeterUse(3), limit=3)
    return paywall_payload(decision=decision, reader=Reader(anon_id="a" * 32))


def test_plans_are_offered_with_their_display_price_and_follow_edits(django_assert_num_queries):
    Plan.objects.all().delete()
    plan = PlanFactory(code="weekly", amount=50, currency="usd", interval="week", active=True)
    assert [p["display"] for p in _paywall()["plans"]] == ["$0.50/week"]
    with django_assert_num_queries(0):  # cached
        assert plan_offers()[0]["code"] == "weekly"
    plan.amount = 75
    plan.save()
    assert [p["display"] for p in _paywall()["plans"]] == ["$0.75/week"]
    plan.delete()
    assert _paywall()["plans"] == []
