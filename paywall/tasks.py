"""Periodic paywall jobs (declared in the beat schedule). All are idempotent, so they may be acknowledged late and
retried: a lost database connection or a deadlock (OperationalError) is retried up to five times with exponential
backoff (jittered, at most ten minutes apart); any other error is a bug and is not retried."""

from celery import shared_task
from django.db import OperationalError

from .desk.usage import meter_usage_close
from .services import meter_periods_close, subscription_sweep
from .services.funnel import funnel_rollup

RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "max_retries": 5,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
}


@shared_task(name="paywall.meter_reset", **RETRY)
def meter_reset_task() -> dict:
    """Close finished meter periods and purge old raw rows. Idempotent: see `meter_periods_close`."""
    return meter_periods_close()


@shared_task(name="paywall.subscription_sweep", **RETRY)
def subscription_sweep_task() -> dict:
    """Expire ended trials/canceled/past-due subscriptions, renew dev ones, send "trial ends in 3 days" emails.
    Idempotent: see `subscription_sweep`."""
    return subscription_sweep()


@shared_task(name="paywall.funnel_rollup", **RETRY)
def funnel_rollup_task() -> dict:
    """Roll the funnel's raw events up into the daily aggregates (every five minutes) and purge old raw events.
    Idempotent: see `funnel_rollup`."""
    return funnel_rollup()


@shared_task(name="paywall.meter_usage_close", **RETRY)
def meter_usage_close_task() -> dict:
    """Store the meter distribution of the finished periods (the revenue desk's). Idempotent: see
    `meter_usage_close`."""
    return meter_usage_close()
