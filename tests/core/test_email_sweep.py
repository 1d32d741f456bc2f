"""The outbox sweep (`cms.core.email.email_sweep`, beat task `core.email_sweep`): an email whose send task was lost
is sent once, one still in its retry chain is left alone, a very old one is given up."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cms.core.email import email_sweep
from cms.core.models import OutboundEmail
from cms.core.tasks import email_sweep_task

pytestmark = pytest.mark.django_db

SWEEP = {"older_than": timedelta(minutes=15), "give_up_after": timedelta(days=1)}


def _email(key: str, *, age: timedelta, status=OutboundEmail.Status.PENDING) -> OutboundEmail:
    email = OutboundEmail.objects.create(
        key=key, to=f"{key}@example.com", template="paywall_canceled", context={"display_name": key}, status=status
    )
    then = timezone.now() - age
    OutboundEmail.objects.filter(pk=email.pk).update(created_at=then, updated_at=then)
    return email


def test_a_lost_email_is_sent_once_and_recent_or_finished_ones_are_left_alone(mailoutbox):
    lost = _email("lost", age=timedelta(minutes=20))
    recent = _email("recent", age=timedelta(minutes=2))
    sent = _email("sent", age=timedelta(hours=1), status=OutboundEmail.Status.SENT)

    assert email_sweep(**SWEEP) == {"requeued": 1, "expired": 0}

    assert [m.to for m in mailoutbox] == [["lost@example.com"]]
    statuses = dict(OutboundEmail.objects.values_list("key", "status"))
    assert statuses == {"lost": "sent", "recent": "pending", "sent": "sent"}
    # a second sweep finds nothing to do: the email is not sent twice
    assert email_sweep(**SWEEP) == {"requeued": 0, "expired": 0}
    assert len(mailoutbox) == 1
    assert {lost.pk, recent.pk, sent.pk} == set(OutboundEmail.objects.values_list("pk", flat=True))


def test_an_email_pending_for_days_is_given_up_not_sent(mailoutbox):
    _email("ancient", age=timedelta(days=2))

    assert email_sweep(**SWEEP) == {"requeued": 0, "expired": 1}

    ancient = OutboundEmail.objects.get(key="ancient")
    assert ancient.status == OutboundEmail.Status.FAILED and "Not sent within" in ancient.last_error
    assert mailoutbox == []


def test_the_beat_runs_the_sweep_with_the_settings(settings, mailoutbox):
    settings.EMAIL_SWEEP_AFTER_SECONDS = 60
    _email("lost", age=timedelta(minutes=2))

    assert email_sweep_task.delay().get() == {"requeued": 1, "expired": 0}
    assert len(mailoutbox) == 1
    assert "core.email_sweep" in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
