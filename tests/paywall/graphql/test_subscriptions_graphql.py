"""GraphQL: plans, mySubscription, meter, startTrial, checkout, cancelSubscription, resumeSubscription."""

from __future__ import annotations

import pytest

from paywall.models import Subscription
from paywall.readers import HEADER_NAME

pytestmark = pytest.mark.django_db

SUBSCRIPTION_FIELDS = "status trialAvailable access isTrial cancelAtPeriodEnd currentPeriodEnd plan { code }"
ERRORS = "errors { field code message }"
START_TRIAL = f"mutation {{ startTrial {{ subscription {{ {SUBSCRIPTION_FIELDS} }} {ERRORS} }} }}"
CHECKOUT = "mutation($plan: String!) { checkout(plan: $plan) { checkoutUrl errors { field code message } } }"
CANCEL = f"mutation {{ cancelSubscription {{ subscription {{ {SUBSCRIPTION_FIELDS} }} errors {{ code }} }} }}"
RESUME = f"mutation {{ resumeSubscription {{ subscription {{ {SUBSCRIPTION_FIELDS} }} errors {{ code }} }} }}"


def test_plans(graphql_client):
    response = graphql_client("{ plans { code name trialDays price { amount currency interval display } } }")
    assert response.status_code == 200
    assert response.json_body["data"]["plans"][0] == {
        "code": "weekly",
        "name": "Weekly",
        "trialDays": 14,
        "price": {"amount": 50, "currency": "usd", "interval": "week", "display": "$0.50/week"},
    }


def test_my_subscription_none_and_anonymous(graphql_client, reader):
    query = f"{{ mySubscription {{ {SUBSCRIPTION_FIELDS} }} }}"
    assert graphql_client(query).json_body["data"]["mySubscription"] is None
    graphql_client.force_authenticate(reader)
    data = graphql_client(query).json_body["data"]["mySubscription"]
    assert data["status"] == "none" and data["trialAvailable"] is True and data["access"] is False


def test_start_trial_then_refused(graphql_client, reader):
    graphql_client.force_authenticate(reader)
    first = graphql_client(START_TRIAL).json_body["data"]["startTrial"]
    assert first["errors"] == []
    assert first["subscription"]["status"] == "trialing" and first["subscription"]["access"] is True
    second = graphql_client(START_TRIAL).json_body["data"]["startTrial"]
    assert second["subscription"] is None
    message = "You have already used your free trial."
    assert second["errors"] == [{"field": None, "code": "trial_used", "message": message}]
    assert Subscription.objects.filter(user=reader).count() == 1


def test_start_trial_unverified_and_anonymous(graphql_client, unverified_reader):
    anonymous = graphql_client(START_TRIAL).json_body["data"]["startTrial"]
    assert anonymous["errors"][0]["code"] == "unauthenticated"
    graphql_client.force_authenticate(unverified_reader)
    errors = graphql_client(START_TRIAL).json_body["data"]["startTrial"]["errors"]
    assert errors[0]["code"] == "email_unverified" and errors[0]["field"] == "email"
    assert not Subscription.objects.exists()


def test_checkout(graphql_client, reader, settings):
    settings.BILLING_PROVIDER = "dev"
    assert graphql_client(CHECKOUT, {"plan": "weekly"}).json_body["data"]["checkout"]["errors"][0]["code"] == (
        "unauthenticated"
    )
    graphql_client.force_authenticate(reader)
    ok = graphql_client(CHECKOUT, {"plan": "weekly"}).json_body["data"]["checkout"]
    assert ok["errors"] == [] and "/billing/dev/checkout/" in ok["checkoutUrl"]
    bad = graphql_client(CHECKOUT, {"plan": "nope"}).json_body["data"]["checkout"]
    assert bad["checkoutUrl"] is None and bad["errors"][0]["field"] == "plan"


def test_cancel_and_resume(graphql_client, subscriber, reader):
    graphql_client.force_authenticate(subscriber)
    canceled = graphql_client(CANCEL).json_body["data"]["cancelSubscription"]
    assert canceled["errors"] == [] and canceled["subscription"]["cancelAtPeriodEnd"] is True
    assert canceled["subscription"]["status"] == "active" and canceled["subscription"]["access"] is True
    resumed = graphql_client(RESUME).json_body["data"]["resumeSubscription"]
    assert resumed["errors"] == [] and resumed["subscription"]["cancelAtPeriodEnd"] is False
    graphql_client.force_authenticate(reader)
    assert graphql_client(CANCEL).json_body["data"]["cancelSubscription"]["errors"] == [{"code": "no_subscription"}]


def test_meter_issues_a_reader_token(graphql_client):
    response = graphql_client("{ meter { readerKind limit used remaining resetsAt period } }")
    meter = response.json_body["data"]["meter"]
    assert meter["readerKind"] == "anonymous" and meter["limit"] == 3 and meter["remaining"] == 3
    assert response[HEADER_NAME] and response["Cache-Control"] == "private, no-store"


def test_meter_for_trial_reader(graphql_client, trial_reader):
    graphql_client.force_authenticate(trial_reader)
    meter = graphql_client("{ meter { readerKind limit remaining } }").json_body["data"]["meter"]
    assert meter == {"readerKind": "trial", "limit": None, "remaining": None}


@pytest.mark.parametrize(("mutation", "name"), [(CANCEL, "cancelSubscription"), (RESUME, "resumeSubscription")])
def test_cancel_and_resume_need_a_signed_in_reader(graphql_client, subscriber, mutation, name):
    payload = graphql_client(mutation).json_body["data"][name]
    assert payload == {"subscription": None, "errors": [{"code": "unauthenticated"}]}
    assert Subscription.objects.get(user=subscriber).cancel_at_period_end is False
