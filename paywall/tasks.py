from celery import shared_task

from .services import meter_periods_close


@shared_task(name="paywall.meter_reset", acks_late=True, max_retries=5, retry_backoff=True)
def meter_reset_task() -> dict:
    """Close finished meter periods and purge old raw rows. Idempotent: see `meter_periods_close`."""
    return meter_periods_close()


@shared_task(name="paywall.subscription_sweep", acks_late=True, max_retries=5, retry_backoff=True)
def subscription_sweep_task() -> dict:
    """Expire ended trials/canceled/past-due subscriptions, renew dev ones, send "trial ends in 3 days" emails.
    Idempotent: see `subscription_sweep`."""
    from .services import subscription_sweep

    return subscription_sweep()
