"""The Stripe webhook fuzzed with genuinely signed events of every shape: a new Stripe API version, a field that
turned into a list, an id that is a number, a NUL in a string. Whatever a signed event holds, the webhook answers
200 (recorded, processed or ignored), 400 or 503, never a 500: Stripe retries a 500 for three days, and a payload
it cannot store must not take the endpoint down. The subscription Stripe returns is fuzzed the same way."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paywall.billing.stripe_provider import HANDLED_TYPES
from paywall.models import ProviderEvent, Subscription
from tests.accounts.factories import UserFactory
from tests.paywall.conftest import signed_post

pytestmark = pytest.mark.django_db

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["", "sub_fuzz", "cus_fuzz", "1", "active", "trialing", "past_due", "canceled", "price_weekly"])
)
_KEYS = st.sampled_from(
    [
        "id", "customer", "subscription", "client_reference_id", "metadata", "user_id", "plan", "parent",
        "subscription_details", "status", "items", "data", "price", "current_period_start", "current_period_end",
        "cancel_at_period_end", "ended_at", "latest_invoice",
    ]
) | st.text(max_size=6)  # fmt: skip
_SHAPED = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_KEYS, inner, max_size=5), max_leaves=14
)
_TYPES = st.sampled_from(sorted(HANDLED_TYPES)) | st.text(max_size=20) | _SCALARS
_ID = st.text(min_size=1, max_size=30) | _SCALARS
_OPTIONAL = {"object": st.just("event"), "created": st.integers(0, 2**40)}
_EVENTS = st.fixed_dictionaries(
    {"id": _ID, "type": _TYPES, "data": st.fixed_dictionaries({"object": _SHAPED})}, optional=_OPTIONAL
) | st.fixed_dictionaries({"id": _ID, "type": _TYPES, "data": _SHAPED}, optional=_OPTIONAL)


@given(event=_EVENTS, remote=_SHAPED)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_signed_events_of_any_shape_never_answer_500(fake_stripe, stripe_plan, event, remote):
    obj = event["data"].get("object") if isinstance(event["data"], dict) else None
    if isinstance(obj, dict):  # whatever subscription the event names, Stripe answers with the fuzzed one
        for key in ("subscription", "id"):
            if isinstance(obj.get(key), str) and obj[key]:
                shaped = dict(remote) if isinstance(remote, dict) else {}
                fake_stripe.subscriptions[obj[key]] = {**shaped, "id": obj[key], "object": "subscription"}
    response = signed_post(Client(), event)
    assert response.status_code in (200, 400, 503), (response.status_code, response.content[:300])
    body = response.json()
    assert ("received" in body) if response.status_code == 200 else body["code"]


def test_a_nul_in_a_signed_event_is_recorded_not_a_500(fake_stripe, stripe_plan):
    """PostgreSQL cannot store U+0000 in text or jsonb: such an event is still answered (and not processed twice)."""
    user = UserFactory()
    event = {
        "id": "evt_nul\x00",
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": {"client_reference_id": str(user.pk), "customer": "cus\x00", "subscription": "sub\x00x"}},
    }
    first, again = signed_post(Client(), event), signed_post(Client(), event)
    assert first.status_code in (200, 400) and again.status_code == first.status_code
    assert Subscription.objects.filter(user=user).count() == 0
    assert ProviderEvent.objects.count() <= 1


def test_a_dict_in_a_list_in_a_list_is_stored_not_a_500(fake_stripe, stripe_plan):
    """Found by the fuzzer above: stripe-python's to_dict() leaves such a dict a StripeObject, which JSON refuses."""
    event = {"id": "evt_nested", "object": "event", "type": "x.unknown", "data": {"object": {"items": [[{"a": 1}]]}}}

    response = signed_post(Client(), event)

    assert response.status_code == 200
    assert ProviderEvent.objects.get(event_id="evt_nested").payload["data"]["object"]["items"] == [[{"a": 1}]]
