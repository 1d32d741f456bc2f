"""The dev provider's checkout page: signed token, confirmation form, one activation."""

from __future__ import annotations

import pytest
from django.core import signing

from paywall.billing.dev import SALT, dev_checkout_token
from paywall.models import Plan, Subscription

pytestmark = pytest.mark.django_db


def checkout_path(user, plan_code="weekly") -> str:
    return f"/billing/dev/checkout/{dev_checkout_token(user=user, plan=Plan.objects.get(code=plan_code))}/"


def test_get_shows_a_confirmation_form_and_changes_nothing(client, reader):
    response = client.get(checkout_path(reader))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Confirm your subscription" in html and "$0.50/week" in html and reader.email in html
    assert "<form" in html
    assert not Subscription.objects.exists()


def test_post_activates_one_period_and_a_second_post_changes_nothing(client, reader):
    path = checkout_path(reader)
    response = client.post(path)
    assert response.status_code == 200 and "You're subscribed" in response.content.decode()
    sub = Subscription.objects.get(user=reader)
    assert sub.status == "active" and sub.provider == "dev" and sub.plan.code == "weekly"
    assert (sub.current_period_end - sub.current_period_start).days == 7
    assert client.post(path).status_code == 200
    assert Subscription.objects.filter(user=reader).count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_forged_or_tampered_token_is_refused(client, reader, method):
    forged = signing.dumps({"u": reader.pk, "p": "weekly", "n": "x"}, salt="another-salt", compress=True)
    tampered = dev_checkout_token(user=reader, plan=Plan.objects.get(code="weekly"))[:-2] + "xx"
    for token in (forged, tampered, "garbage"):
        response = getattr(client, method)(f"/billing/dev/checkout/{token}/")
        assert response.status_code == 400
        assert "invalid or has expired" in response.content.decode()
    assert not Subscription.objects.exists()


def test_token_for_an_inactive_plan_is_refused(client, reader):
    token = signing.dumps({"u": reader.pk, "p": "annual", "n": "x"}, salt=SALT, compress=True)
    Plan.objects.filter(code="annual").update(active=False)
    assert client.post(f"/billing/dev/checkout/{token}/").status_code == 400


def test_checkout_while_already_paying_shows_409(client, subscriber):
    response = client.post(checkout_path(subscriber))
    assert response.status_code == 409
    assert "already have a subscription" in response.content.decode()


def test_trial_converts_on_dev_checkout(client, trial_reader):
    client.post(checkout_path(trial_reader))
    statuses = list(Subscription.objects.filter(user=trial_reader).order_by("id").values_list("status", flat=True))
    assert statuses == ["expired", "active"]


def test_dev_checkout_is_gone_when_another_provider_is_configured(client, reader, settings):
    path = checkout_path(reader)
    settings.BILLING_PROVIDER = "stripe"
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert not Subscription.objects.exists()


def test_misconfigured_stripe_is_a_system_check_error(settings):
    from paywall.checks import billing_provider_check

    settings.BILLING_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = ""
    assert [e.id for e in billing_provider_check(None)] == ["paywall.E001"]
    settings.BILLING_PROVIDER = "paypal"
    assert [e.id for e in billing_provider_check(None)] == ["paywall.E002"]
    settings.BILLING_PROVIDER = "dev"
    assert billing_provider_check(None) == []
