"""Each subscription email, through a real SMTP server, sent once per event (text and HTML)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from paywall.models import Plan
from paywall.services import (
    subscription_activate,
    subscription_cancel,
    subscription_cancel_now,
    subscription_expire,
    subscription_mark_past_due,
    subscription_renew,
    subscription_sweep,
    subscription_trial_start,
)

pytestmark = pytest.mark.django_db


def subjects(smtp_server) -> list[str]:
    return [m["Subject"] for m in smtp_server.messages]


def test_trial_welcome_and_ending_and_expired(smtp_server, reader, django_capture_on_commit_callbacks):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        sub = subscription_trial_start(user=reader, now=now - timedelta(days=12))
    with django_capture_on_commit_callbacks(execute=True):
        subscription_sweep(now=now)
        subscription_sweep(now=now + timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        subscription_sweep(now=now + timedelta(days=3))
        subscription_sweep(now=now + timedelta(days=3, minutes=10))
        subscription_expire(subscription=sub, source="test")
    assert subjects(smtp_server) == [
        "Welcome to your 14-day free trial",
        "Your free trial ends in 3 days",
        "Your subscription has ended",
    ]
    welcome = smtp_server.messages[0]
    assert welcome["To"] == reader.email
    assert "full, ad-free access" in welcome.get_body(("plain",)).get_content()
    assert "<h1" in welcome.get_body(("html",)).get_content()
    assert "free trial" in smtp_server.messages[2].get_body(("plain",)).get_content()


def test_receipt_failed_canceled_emails(smtp_server, reader, django_capture_on_commit_callbacks):
    weekly = Plan.objects.get(code="weekly")
    with django_capture_on_commit_callbacks(execute=True):
        sub = subscription_activate(user=reader, plan=weekly, source="dev", provider_subscription_id="dev_1")
        subscription_activate(user=reader, plan=weekly, source="dev", provider_subscription_id="dev_1")
    with django_capture_on_commit_callbacks(execute=True):
        subscription_mark_past_due(subscription=sub, source="stripe")
        subscription_mark_past_due(subscription=sub, source="stripe")
    with django_capture_on_commit_callbacks(execute=True):
        subscription_renew(subscription=sub, source="stripe")
    with django_capture_on_commit_callbacks(execute=True):
        subscription_cancel(subscription=sub)
        subscription_cancel(subscription=sub)
    assert subjects(smtp_server) == [
        "Payment receipt: Weekly ($0.50/week)",
        "Your payment failed",
        "Payment receipt: Weekly ($0.50/week)",
        "Your subscription has been canceled",
    ]
    receipt = smtp_server.messages[0].get_body(("plain",)).get_content()
    assert "paid until" in receipt
    failed = smtp_server.messages[1].get_body(("plain",)).get_content()
    assert "you keep full access until" in failed
    canceled = smtp_server.messages[3].get_body(("plain",)).get_content()
    assert "You keep full access until" in canceled
    assert all(m.get_body(("html",)) is not None for m in smtp_server.messages)


def test_cancel_now_email_says_it_ended(smtp_server, reader, editor, django_capture_on_commit_callbacks):
    weekly = Plan.objects.get(code="weekly")
    sub = subscription_activate(user=reader, plan=weekly, source="dev")
    with django_capture_on_commit_callbacks(execute=True):
        subscription_cancel_now(subscription=sub, actor=editor)
    [message] = smtp_server.messages
    body = message.get_body(("plain",)).get_content()
    assert "ended today" in body and "refunded" in body
