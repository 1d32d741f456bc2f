"""A group's subscription at Stripe: a Checkout Session with one item per seat tied to the group, activated by the
webhook (replays included), and moved through the same state machine by later events: its lapse ends the members'
access and tells them."""

from __future__ import annotations

import pytest

from cms.core.models import OutboundEmail
from paywall.models import Group, Plan, Subscription
from paywall.readers import Reader
from paywall.services import access_decide
from tests.articles.factories import ArticleFactory
from tests.paywall.conftest import signed_post, stripe_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_price(db):
    Plan.objects.filter(code="team").update(provider_price_id="price_team")


def test_a_group_checkout_buys_one_item_per_seat_and_the_webhook_starts_it(
    api_client, client, reader, fake_stripe, team_price, unverified_reader
):
    # given a group bought through Stripe Checkout: quantity = seats, the group's id in the metadata
    api_client.force_authenticate(reader)
    body = {"plan": "team", "seats": 12, "name": "Newsroom"}
    response = api_client.post("/api/v1/groups/checkout/", body, format="json")
    assert response.status_code == 201, response.content
    group = Group.objects.get(pk=response.json()["group"]["id"])
    form = fake_stripe.requests[0]["form"]
    assert (form["line_items[0][price]"], form["line_items[0][quantity]"]) == ("price_team", "12")
    assert form["subscription_data[metadata][group_id]"] == str(group.pk)
    # when Stripe reports the subscription (the customer raised the quantity to 15 at checkout), twice
    remote = fake_stripe.subscription(
        "sub_g1", user_id=reader.pk, price="price_team", metadata={"user_id": str(reader.pk), "group_id": str(group.pk)}
    )
    remote["items"]["data"][0]["quantity"] = 15
    for event_id in ("evt_g1", "evt_g1", "evt_g2"):
        signed_post(client, stripe_event("customer.subscription.created", dict(remote), event_id=event_id))
    # then the group has one live subscription of its own, its seats follow the quantity, the buyer holds no seat
    sub = Subscription.objects.get(provider_subscription_id="sub_g1")
    assert (sub.group_id, sub.user_id, sub.status) == (group.pk, None, "active")
    group.refresh_from_db()
    assert group.seats == 15
    assert not Subscription.objects.filter(user=reader).exists()
    from paywall.services.groups import group_member_add

    group_member_add(group=group, actor=None, user=unverified_reader)
    premium = ArticleFactory(access_level="premium")
    assert access_decide(reader=Reader(user=unverified_reader), article=premium).reason == "group"
    # when the subscription ends at Stripe
    remote.update(status="canceled", ended_at=remote["current_period_end"])
    outcome = signed_post(client, stripe_event("customer.subscription.deleted", dict(remote), event_id="evt_g3"))
    assert outcome.json()["outcome"] == "expired"
    # then the member's access ends with it, and the member and the admin are told
    assert access_decide(reader=Reader(user=unverified_reader), article=premium).reason == "premium"
    lapsed = OutboundEmail.objects.filter(template="paywall_group_lapsed")
    assert sorted(lapsed.values_list("to", flat=True)) == sorted([reader.email, unverified_reader.email])
